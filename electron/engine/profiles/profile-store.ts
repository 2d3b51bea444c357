// Per-VM profiles (channel, endpoints, mode, KDNET key, debugger command, capture folder) in one
// JSON file in the user's config folder, shared by the attach page and `kdscope bridge --profile`.
// The file may hold a KDNET key, so it is written readable by its owner only; no key is ever
// part of an error message.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Profile } from '../../api/contract';
import { makeDirs } from '../make-dirs';

/** `$KDSCOPE_CONFIG_DIR`, else the platform's per-user config folder + /kdscope. */
export function configDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.KDSCOPE_CONFIG_DIR) return env.KDSCOPE_CONFIG_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'kdscope');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'kdscope');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'kdscope');
}

export const defaultProfilesPath = (): string => join(configDir(), 'profiles.json');

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

interface ProfilesFile {
  readonly version: 1;
  readonly profiles: Profile[];
}

const PROFILE_FIELDS = [
  'name',
  'target',
  'debugger',
  'channel',
  'mode',
  'feedback',
  'key',
  'launch',
  'captureDir',
  'captureFormat',
] as const;

/** Only the known fields with the right types: a hand-edited file cannot inject anything else. */
function clean(raw: unknown): Profile | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string' || typeof r.target !== 'string' || typeof r.debugger !== 'string')
    return undefined;
  const out: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) {
    const v = r[field];
    if (field === 'feedback' ? typeof v === 'boolean' : typeof v === 'string') out[field] = v;
  }
  if (out.mode !== undefined && !['com', 'vmbus', 'kdnet'].includes(out.mode as string))
    delete out.mode;
  if (out.captureFormat !== undefined && !['pcap', 'pcapng'].includes(out.captureFormat as string))
    delete out.captureFormat;
  return out as unknown as Profile;
}

export class ProfileStore {
  constructor(readonly path: string = defaultProfilesPath()) {}

  /** Every profile, by name; a missing file is no profiles, a broken one is a ProfileError. */
  list(): Profile[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ProfileError(`cannot read profiles ${this.path}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProfileError(`profiles ${this.path} is not valid JSON (fix or delete it)`);
    }
    const list = (parsed as Partial<ProfilesFile> | null)?.profiles;
    if (!Array.isArray(list))
      throw new ProfileError(`profiles ${this.path} has no "profiles" list (fix or delete it)`);
    return list.map(clean).filter((p): p is Profile => p !== undefined);
  }

  get(name: string): Profile | undefined {
    const profiles = this.list();
    return (
      profiles.find((p) => p.name === name) ??
      profiles.find((p) => p.name.toLowerCase() === name.toLowerCase())
    );
  }

  save(profile: Profile): void {
    const cleaned = clean(profile);
    if (!cleaned) throw new ProfileError('a profile needs a name, a target and a debugger');
    const others = this.list().filter((p) => p.name !== cleaned.name);
    this.write([...others, cleaned].sort((a, b) => a.name.localeCompare(b.name)));
  }

  delete(name: string): void {
    const profiles = this.list();
    if (!profiles.some((p) => p.name === name))
      throw new ProfileError(`no profile named '${name}'`);
    this.write(profiles.filter((p) => p.name !== name));
  }

  private write(profiles: Profile[]): void {
    const file: ProfilesFile = { version: 1, profiles };
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      makeDirs(dirname(this.path));
      // Written whole and renamed: a crash never leaves half a file.
      writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (error) {
      throw new ProfileError(`cannot save profiles to ${this.path}: ${(error as Error).message}`);
    }
  }
}
