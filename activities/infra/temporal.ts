/**
 * The Temporal client of the API, the reconciler and the scripts: one lazy
 * connection per process, tuned to fail fast when the server cannot be
 * reached, so a caller hears 503 within about two seconds instead of after
 * the SDK's default retries (10 attempts with backoff up to 5 s: about 20 s).
 *
 * - Lazy: the process starts while Temporal is down (`/health` then says so)
 *   and connects on the first call.
 * - A refused connection (server down or restarting) fails each call at once
 *   with UNAVAILABLE; the retry interceptor tries RETRY_ATTEMPTS times in
 *   about one second in all, then gives up.
 * - A server that does not answer at all (packets dropped) is bounded by a
 *   deadline on every call that has none of its own (DEFAULT_RPC_DEADLINE_MS).
 *   Calls that wait on purpose set theirs (an Update waits for the order's
 *   answer: api/services/commands.ts).
 * - Reconnect backoff is capped at two seconds, so a server that comes back is
 *   used within about two seconds (gRPC's default cap is two minutes).
 */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import { dataConverterFor } from './codec';
import type { Config } from './config';

/** Calls without a deadline of their own end after this long (a server that accepts but never answers). */
export const DEFAULT_RPC_DEADLINE_MS = 5_000;
/** Attempts per call on a retryable status: 170 + 289 + 491 ms of backoff between them, about 1 s. */
export const RETRY_ATTEMPTS = 4;

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** The SDK's retry interceptor with fewer attempts, on calls given a deadline when they have none (it bounds the retries too). */
function failFastInterceptor(): Interceptor {
  const retry = makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: RETRY_ATTEMPTS }));
  return (options, nextCall) =>
    retry(options.deadline === undefined ? { ...options, deadline: Date.now() + DEFAULT_RPC_DEADLINE_MS } : options, nextCall);
}

export function failFastConnectionOptions(address: string): ConnectionOptions {
  return {
    address,
    connectTimeout: 2_000,
    channelArgs: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    },
    interceptors: [failFastInterceptor()],
  };
}

export interface TemporalClient {
  client: Client;
  connection: Connection;
}

/** A client with the system's payload codec on a fail-fast lazy connection; close `connection` on shutdown. */
export function createTemporalClient(
  config: Pick<Config, 'temporalAddress' | 'temporalNamespace' | 'payloadCodecKeys'>,
): TemporalClient {
  const connection = Connection.lazy(failFastConnectionOptions(config.temporalAddress));
  const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter: dataConverterFor(config.payloadCodecKeys) });
  return { client, connection };
}
