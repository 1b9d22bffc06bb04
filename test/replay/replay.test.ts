/**
 * Replays committed histories of real order runs (recorded from the dev
 * server by the workflow tests with RECORD_HISTORIES=1) against the current
 * workflow code. A change that would break orders already running fails here
 * with a non-determinism error: guard it with `patched()` (see README,
 * "Changing the workflow safely") instead of re-recording.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { dataConverterFor, parseCodecKey } from '../../activities/infra/codec';
import { TEST_PAYLOAD_CODEC_KEY } from '../support/keys';

const dir = join(__dirname, 'histories');
// The top folder holds histories of orders started on the first workflow generation; each
// subfolder one later generation (see recordHistory in test/support/orders.ts).
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

test('there are recorded histories to replay, one per path, of the first generation and the current one', () => {
  expect(files.filter((f) => !f.includes('/')).length).toBeGreaterThanOrEqual(8);
  expect(files.filter((f) => f.startsWith('v2-one-command-path/')).length).toBeGreaterThanOrEqual(8);
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await Worker.runReplayHistory(
    {
      workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE! },
      replayName: file,
      // The histories were recorded by test runs, whose payloads carry the test key.
      dataConverter: dataConverterFor([parseCodecKey(TEST_PAYLOAD_CODEC_KEY)]),
    },
    history,
    `replay-${file}`,
  );
});
