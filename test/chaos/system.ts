/**
 * The system under test of a chaos run, as separate processes the run can
 * break: a Temporal dev server on fixed loopback ports with a SQLite file that
 * outlives it (killed and started again on the same ports), worker processes
 * (`worker/main.ts`, killed with SIGKILL and started again), one API process
 * (`api/server.ts`), and an SMTP server the run owns (closed for an outage
 * window, then listening again on the same port) that records every message's
 * Message-ID. Everything started here is killed when the run's process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { onExit } from '../../bench/lib/procs';
import { answers } from '../../bench/lib/temporal-server';
import { errorText, freePorts, sleep } from '../../bench/lib/util';
import { dataConverterFor, parseCodecKey } from '../../activities/infra/codec';
import { startLocalSmtp, type LocalSmtp } from '../../scripts/lib/local-smtp';
import { devServerArgs, ensureTemporalCli, TEMPORAL_BIN } from '../../scripts/lib/temporal-dev';
import { TASK_QUEUE } from '../../workflows/order/contract';

const ROOT = resolve(__dirname, '../..');

export type Log = (line: string) => void;

/** A child process with its output in a log file, killed when the run exits. */
class Proc {
  readonly child: ChildProcess;
  exited: string | undefined;
  private readonly unregister: () => void;
  private readonly gone: Promise<void>;

  constructor(readonly name: string, command: string, args: string[], env: Record<string, string>, logFile: string) {
    const out = openSync(logFile, 'a');
    this.child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
    closeSync(out);
    this.unregister = onExit(() => this.signal('SIGKILL'));
    this.gone = new Promise((r) =>
      this.child.once('exit', (code, signal) => {
        this.exited = `${name} exited (${signal ?? code})`;
        this.unregister();
        r();
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill(sig);
      } catch {
        // already gone
      }
    }
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.gone;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.signal('SIGTERM');
    await Promise.race([this.gone, sleep(graceMs)]);
    await this.kill();
  }
}

export interface SystemOptions {
  dir: string;
  databaseUrl: string;
  policyFile: string;
  codecKey: string;
  workers: number;
  /** Prebuilt workflow bundle for the workers (WORKFLOW_BUNDLE of worker/main.ts). */
  bundle: string;
  log: Log;
}

export interface CapturedMessage {
  messageId: string;
  at: number;
}

export class ChaosSystem {
  temporalAddress = '';
  apiUrl = '';
  client!: Client;
  readonly received: CapturedMessage[] = [];
  /** Times (ms) of every worker kill, to tell a duplicate email of a crash window from one outside it. */
  readonly workerKills: number[] = [];
  smtpUp = false;

  private temporalPorts!: [number, number, number, number];
  private smtpPort = 0;
  private apiPort = 0;
  private temporal?: Proc;
  private smtp?: LocalSmtp;
  private api?: Proc;
  private readonly workers: (Proc | undefined)[] = [];
  private connection?: Connection;

  constructor(private readonly o: SystemOptions) {}

  private env(): Record<string, string> {
    return {
      DATABASE_URL: this.o.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      SMTP_URL: `smtp://127.0.0.1:${this.smtpPort}`,
      MAIL_FROM: 'Sales Orders <orders@example.com>',
      // The outbox's retry backoff shrunk like every clock of the run: after an outage of seconds the
      // default doubling (5 s up to 10 min) would leave mail waiting longer than the settle time.
      MAIL_RETRY_MIN: '1s',
      MAIL_RETRY_MAX: '5s',
      POLICY_FILE: this.o.policyFile,
      PAYLOAD_CODEC_KEY: this.o.codecKey,
      PAYLOAD_CODEC_OLD_KEYS: '',
      HOST: '127.0.0.1',
      PORT: String(this.apiPort),
      // The run is one caller on purpose; the per-caller limit would refuse it.
      RATE_LIMIT_MAX: '100000000',
      RATE_LIMIT_WINDOW: '1m',
      LOG_LEVEL: 'warn',
      WORKFLOW_BUNDLE: this.o.bundle,
    };
  }

  async start(): Promise<void> {
    ensureTemporalCli(this.o.log);
    const [a, b, c, d, smtpPort, apiPort] = await freePorts(6);
    this.temporalPorts = [a, b, c, d];
    this.smtpPort = smtpPort;
    this.apiPort = apiPort;
    this.temporalAddress = `127.0.0.1:${a}`;
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    await Promise.all([this.startTemporal(), this.startSmtp()]);
    this.connection = await Connection.connect({ address: this.temporalAddress });
    this.client = new Client({ connection: this.connection, namespace: 'default', dataConverter: dataConverterFor([parseCodecKey(this.o.codecKey)]) });
    await Promise.all([this.startApi(), ...Array.from({ length: this.o.workers }, (_, i) => this.startWorker(i))]);
  }

  // --- Temporal ----------------------------------------------------------

  async startTemporal(): Promise<void> {
    const args = devServerArgs({ dir: this.o.dir, ports: this.temporalPorts, logLevel: 'error' });
    for (let attempt = 1; ; attempt++) {
      const p = new Proc('temporal', TEMPORAL_BIN, args, {}, join(this.o.dir, 'temporal.log'));
      this.temporal = p;
      const deadline = Date.now() + 60_000;
      while (!p.exited && Date.now() < deadline) {
        if (await answers(this.temporalAddress, 2_000)) {
          this.o.log(`Temporal dev server at ${this.temporalAddress} (pid ${p.pid}, SQLite ${join(this.o.dir, 'temporal.db')})`);
          return;
        }
        await sleep(250);
      }
      await p.kill();
      // The port of the killed server can take a moment to be free again.
      if (attempt >= 5) throw new Error(`the Temporal dev server did not start (${p.exited ?? 'no answer in 60 s'}); see ${join(this.o.dir, 'temporal.log')}`);
      await sleep(1_000);
    }
  }

  /** SIGKILL the dev server, wait `downMs`, start it again on the same ports and file. */
  async restartTemporal(downMs: number): Promise<void> {
    await this.temporal?.kill();
    this.o.log(`fault: Temporal dev server killed (down for ${downMs / 1000} s)`);
    await sleep(downMs);
    await this.startTemporal();
  }

  // --- SMTP --------------------------------------------------------------

  async startSmtp(): Promise<void> {
    this.smtp = await startLocalSmtp({
      user: 'chaos',
      port: this.smtpPort,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const head = raw.split(/\r?\n\r?\n/, 1)[0];
          const m = /^message-id:\s*(<[^>\r\n]+>)/im.exec(head);
          this.received.push({ messageId: m ? m[1] : '(none)', at: Date.now() });
          callback();
        });
      },
    });
    // A client killed mid-conversation (a worker's SIGKILL) resets its connection: expected here, not fatal.
    this.smtp.server.on('error', (err) => this.o.log(`SMTP server: ${errorText(err)}`));
    this.smtpUp = true;
  }

  /** The SMTP server stops listening (connections refused) for `ms`, then listens again on the same port. */
  async smtpOutage(ms: number): Promise<void> {
    this.smtpUp = false;
    await this.smtp?.close();
    this.o.log(`fault: SMTP server down for ${ms / 1000} s`);
    await sleep(ms);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startSmtp();
        this.o.log('SMTP server back');
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(500);
      }
    }
  }

  // --- API and workers -----------------------------------------------------

  private async startApi(): Promise<void> {
    const p = new Proc('api', process.execPath, ['--import', 'tsx', 'api/server.ts'], this.env(), join(this.o.dir, 'api.log'));
    this.api = p;
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (p.exited) throw new Error(`${p.exited}; see ${join(this.o.dir, 'api.log')}`);
      try {
        const res = await fetch(`${this.apiUrl}/health`);
        await res.arrayBuffer();
        this.o.log(`API at ${this.apiUrl} (pid ${p.pid})`);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`the API did not answer within 300 s; see ${join(this.o.dir, 'api.log')}`);
        await sleep(300);
      }
    }
  }

  /** Starts worker `i` (worker/main.ts) and waits until it polls the order task queue. */
  async startWorker(i: number): Promise<void> {
    const started = Date.now();
    const p = new Proc(`worker ${i}`, process.execPath, ['--import', 'tsx', 'worker/main.ts'], this.env(), join(this.o.dir, `worker-${i}.log`));
    this.workers[i] = p;
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (p.exited) throw new Error(`${p.exited}; see ${join(this.o.dir, `worker-${i}.log`)}`);
      if (await this.polling(p.pid)) {
        this.o.log(`worker ${i} polling (pid ${p.pid}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`worker ${i} did not poll within 300 s; see ${join(this.o.dir, `worker-${i}.log`)}`);
      await sleep(500);
    }
  }

  /** True when a process with this pid polls the order task queue (the SDK's identity is `pid@host`). */
  private async polling(pid: number): Promise<boolean> {
    try {
      const res = await this.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: TASK_QUEUE, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      return (res.pollers ?? []).some((p) => (p.identity ?? '').startsWith(`${pid}@`));
    } catch {
      return false;
    }
  }

  /** SIGKILL worker `i`, wait `downMs`, start it again. */
  async killWorker(i: number, downMs: number): Promise<void> {
    const p = this.workers[i];
    if (!p) return;
    this.workerKills.push(Date.now());
    await p.kill();
    this.workers[i] = undefined;
    this.o.log(`fault: worker ${i} (pid ${p.pid}) killed with SIGKILL (restart in ${downMs / 1000} s)`);
    await sleep(downMs);
    await this.startWorker(i);
  }

  /** Workers, API or Temporal that died on their own (not killed by the run). */
  deadProcesses(): string[] {
    return [this.temporal, this.api, ...this.workers].filter((p): p is Proc => !!p && !!p.exited).map((p) => p.exited!);
  }

  async stop(): Promise<void> {
    const tasks: Promise<unknown>[] = [];
    for (const w of this.workers) if (w) tasks.push(w.stop());
    if (this.api) tasks.push(this.api.stop());
    await Promise.all(tasks);
    await this.connection?.close().catch(() => undefined);
    if (this.smtpUp) await this.smtp?.close().catch(() => undefined);
    await this.temporal?.stop(5_000);
  }
}

export { errorText };
