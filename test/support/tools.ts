// Locating the external tools tests rely on. A missing tool fails the test with a clear
// message (CI installs them in .ci/run); it never skips quietly.
import { execFileSync } from 'node:child_process';

const found = new Map<string, string>();

/** Absolute path of `name`, or an Error telling how to install it. */
export function requireTool(name: string, aptPackage = name): string {
  const cached = found.get(name);
  if (cached) return cached;
  let path = '';
  try {
    path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    // Falls through to the error below.
  }
  if (!path) {
    throw new Error(
      `${name} is not installed: this test needs it (apt-get install ${aptPackage}; .ci/run does this)`,
    );
  }
  found.set(name, path);
  return path;
}
