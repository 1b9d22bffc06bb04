import { runBench } from './lib/bench';
import { parseArgs } from './lib/options';
async function main() {
  const o = parseArgs(['--smoke', '--only', process.argv[2]]);
  o.resultsDir = null;
  o.log = () => undefined;
  const r = await runBench(o);
  console.log('errors', r.errors);
  setTimeout(() => {
    const hs = (process as any)._getActiveHandles();
    console.log('handles', hs.map((h: any) => h.constructor?.name + (h._idleTimeout ? ` ${h._idleTimeout}` : '') + (h.remoteAddress ? ` ${h.remoteAddress}:${h.remotePort}` : '')));
    console.log('requests', (process as any)._getActiveRequests().length);
  }, 1500).unref();
}
main();
