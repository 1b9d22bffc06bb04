/**
 * The contract signature stage (SPEC 11; policy `contractSignature`): after
 * confirmation, an order the policy names waits here until the newest
 * contract version is signed by the customer (recorded by sales) and its
 * financial terms are confirmed by finance, with the stage's clock
 * (reminder, escalation, timeout action) like every other stage.
 *
 * The facts live in the database (activities/documents/signature.ts); the
 * API signals `contractSignatureChanged` after each write, and the stage
 * reads the status again. Entering the stage reads it first, so a signature
 * recorded before the order got here (or a lost signal) is not missed.
 *
 * Orders whose history was recorded before this stage existed never enter
 * it: `patched('contract-signature')` guards the branch in confirmation.
 */
import { patched, setHandler } from '@temporalio/workflow';
import { contractSignatureRequired } from '../domain/policy';
import { contractSignatureChanged, type Stage } from './contract';
import type { OrderRun } from './run';

/** Where confirmation goes next: this stage when the policy asks for a signed contract. */
export function afterConfirmation(run: OrderRun): Stage {
  const jointReviewed = run.state.jointReviewReasons.length > 0;
  if (contractSignatureRequired(run.policy, jointReviewed) && patched('contract-signature')) return 'contract_signature';
  return 'stock_preparation';
}

export async function contractSignatureStage(run: OrderRun): Promise<Stage> {
  let changed = false;
  // Signals sent before this point are buffered by the SDK and delivered here.
  setHandler(contractSignatureChanged, () => {
    changed = true;
  });
  for (;;) {
    changed = false;
    const status = await run.act.contractSignatureStatus({ orderId: run.orderId });
    if (status.complete) return 'stock_preparation';
    const woke = await run.waitInStage('contract_signature', () => changed);
    if (!woke) return run.stageTimedOut('contract_signature', 'the contract was not signed in time');
  }
}
