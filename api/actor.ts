/**
 * Who is calling: the authenticated user (api/auth/plugin.ts sets
 * `request.user` from the bearer token). Every command records this
 * username as its actor; the order workflow checks segregation of duties
 * against it.
 */
import type { FastifyRequest } from 'fastify';
import { userOf } from './auth/plugin';

export function actorOf(request: FastifyRequest): string {
  return userOf(request).username;
}
