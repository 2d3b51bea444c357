// Web mode's gate: a per-run token every request and socket must present (in the URL path, so
// the page's relative asset and socket URLs carry it), a Host check against DNS rebinding and
// an Origin check on the socket. Kept free of I/O so it is unit-tested directly.

import { randomBytes, timingSafeEqual } from 'node:crypto';

export const newToken = (): string => randomBytes(24).toString('base64url');

export const PREFIX = '/t/';

export function appUrl(port: number, token: string): string {
  return `http://127.0.0.1:${port}${PREFIX}${token}/`;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The path under the token prefix ("/" for the app), or null when the token is missing or wrong. */
export function pathUnderToken(rawUrl: string | undefined, token: string): string | null {
  if (!rawUrl?.startsWith(PREFIX)) return null;
  const rest = rawUrl.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const given = slash < 0 ? rest : rest.slice(0, slash);
  if (!sameToken(given, token)) return null;
  if (slash < 0) return '/';
  const path = rest.slice(slash).split('?')[0]!;
  return path;
}

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function isAllowedHost(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).includes(host.toLowerCase());
}

export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  return (
    origin !== undefined && allowedHosts(port).some((h) => origin.toLowerCase() === `http://${h}`)
  );
}

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
