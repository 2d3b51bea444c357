import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  appUrl,
  contentSecurityPolicy,
  isAllowedHost,
  isAllowedOrigin,
  newToken,
  pathUnderToken,
} from '../../electron/web/web-security';

describe('web mode gate', () => {
  const token = newToken();

  it('makes a fresh, long, URL-safe token per run', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newToken()).not.toBe(token);
    expect(appUrl(8080, token)).toBe(`http://127.0.0.1:8080/t/${token}/`);
  });

  it('maps token paths and refuses everything else', () => {
    expect(pathUnderToken(`/t/${token}/`, token)).toBe('/');
    expect(pathUnderToken(`/t/${token}`, token)).toBe('/');
    expect(pathUnderToken(`/t/${token}/assets/a.js?x=1`, token)).toBe('/assets/a.js');
    expect(pathUnderToken(`/t/${token}/ws`, token)).toBe('/ws');
    expect(pathUnderToken('/', token)).toBeNull();
    expect(pathUnderToken(undefined, token)).toBeNull();
    expect(pathUnderToken(`/t/${token}x/`, token)).toBeNull();
    expect(pathUnderToken(`/t/${token.slice(0, -1)}/`, token)).toBeNull();
    expect(pathUnderToken(`/x/${token}/`, token)).toBeNull();
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (s === token) return;
        expect(pathUnderToken(`/t/${s}/`, token)).toBeNull();
      }),
    );
  });

  it('accepts only loopback Host and Origin of this port', () => {
    expect(isAllowedHost('127.0.0.1:8080', 8080)).toBe(true);
    expect(isAllowedHost('localhost:8080', 8080)).toBe(true);
    expect(isAllowedHost('evil.example:8080', 8080)).toBe(false);
    expect(isAllowedHost('127.0.0.1:8081', 8080)).toBe(false);
    expect(isAllowedHost(undefined, 8080)).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:8080', 8080)).toBe(true);
    expect(isAllowedOrigin('http://evil.example', 8080)).toBe(false);
    expect(isAllowedOrigin('null', 8080)).toBe(false);
    expect(isAllowedOrigin(undefined, 8080)).toBe(false);
    expect(isAllowedOrigin('https://127.0.0.1:8080', 8080)).toBe(false);
  });

  it('serves pages under a CSP without inline code', () => {
    const csp = contentSecurityPolicy(8080);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('connect-src');
    expect(csp).not.toMatch(/unsafe-/);
  });
});
