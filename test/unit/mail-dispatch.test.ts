/** The dispatcher's pure rules: which SMTP errors are permanent, and the retry backoff. */
import { backoffMs, isPermanentRefusal } from '../../activities/email/dispatcher';

test('a 5xx to the envelope or the message is permanent; 4xx, connection errors and account problems are not', () => {
  expect(isPermanentRefusal({ responseCode: 550, command: 'RCPT TO' })).toBe(true);
  expect(isPermanentRefusal({ responseCode: 554, command: 'DATA' })).toBe(true);
  expect(isPermanentRefusal({ responseCode: 553, command: 'MAIL FROM' })).toBe(true);
  expect(isPermanentRefusal({ responseCode: 451, command: 'MAIL FROM' })).toBe(false);
  expect(isPermanentRefusal({ responseCode: 421, command: 'CONN' })).toBe(false);
  expect(isPermanentRefusal({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:25' })).toBe(false);
  expect(isPermanentRefusal({ responseCode: 535, command: 'AUTH PLAIN' })).toBe(false); // our credentials: retry, do not fail every mail
  expect(isPermanentRefusal({ responseCode: 554, command: 'CONN' })).toBe(false);
  expect(isPermanentRefusal(new Error('boom'))).toBe(false);
  expect(isPermanentRefusal(undefined)).toBe(false);
});

test('backoff doubles from the minimum, is capped, and jitters by at most 20 %', () => {
  const mid = () => 0.5; // no jitter
  expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, 1000, 10_000, mid))).toEqual([1000, 2000, 4000, 8000, 10_000]);
  expect(backoffMs(500, 1000, 600_000, mid)).toBe(600_000);
  expect(backoffMs(1, 1000, 10_000, () => 0)).toBe(800);
  expect(backoffMs(1, 1000, 10_000, () => 1)).toBe(1200);
  expect(backoffMs(10, 1000, 10_000, () => 1)).toBe(10_000); // never past the cap
});
