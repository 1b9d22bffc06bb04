/**
 * Builds the order worker: the order workflow plus the activities wired to
 * PostgreSQL, SMTP and the carrier adapter. `main.ts` runs it; tests build
 * the same worker on their own task queue.
 */
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Payload encryption (activities/infra/codec.ts): the same converter as every client of this system. */
  dataConverter: DataConverter;
  /** A prebuilt workflow bundle (tests bundle once); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
  /** Wraps or replaces activities (tests inject faults such as a crash after sending). */
  activities?: (real: ReturnType<typeof createActivities>) => object;
  options?: Partial<WorkerOptions>;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const real = createActivities(setup.deps);
  const workflows: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = setup.workflowBundlePath
    ? { workflowBundle: { codePath: setup.workflowBundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    dataConverter: setup.dataConverter,
    ...workflows,
    activities: setup.activities ? setup.activities(real) : real,
    ...setup.options,
  });
}
