/**
 * Who is calling. Until authentication exists (a later issue replaces this
 * function with the authenticated user), the caller names themselves in the
 * `X-Actor` header: a username of 1-64 characters [a-z0-9_.-], default
 * "anonymous". Every command records this name as its actor.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest } from './errors';

export const ACTOR_HEADER = 'x-actor';
export const ANONYMOUS = 'anonymous';
const USERNAME_RE = /^[a-z0-9_.-]{1,64}$/;

export function actorOf(request: FastifyRequest): string {
  const raw = request.headers[ACTOR_HEADER];
  if (raw === undefined) return ANONYMOUS;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || !USERNAME_RE.test(value)) {
    throw badRequest('X-Actor must be a username of 1-64 characters a-z, 0-9, _ . -', 'X-Actor');
  }
  return value;
}
