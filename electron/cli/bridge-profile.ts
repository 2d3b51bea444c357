// `kdscope bridge --profile NAME`: the attach page's saved settings for a VM as the bridge's
// defaults. Every flag given on the command line wins over the profile's field.

import type { CaptureFormat, Profile } from '../api/contract';
import { ProfileError, ProfileStore } from '../engine/profiles/profile-store';
import { captureFormatOf } from './capture-format';
import { UsageError } from './command';

/** What the bridge's flags said (undefined: not given). */
export interface BridgeFlags {
  readonly debugger?: string;
  readonly target?: string;
  readonly mode?: string;
  readonly feedback: boolean;
  readonly key?: string;
  readonly pcap?: string;
  readonly pcapng: boolean;
  readonly launch?: string;
  readonly noLaunch: boolean;
}

/** The settings the bridge runs with. */
export interface BridgeSettings {
  readonly debugger?: string;
  readonly target?: string;
  readonly mode?: string;
  readonly feedback: boolean;
  readonly key?: string;
  readonly format: CaptureFormat;
  /** Explicit capture path (--pcap). */
  readonly pcap?: string;
  /** Folder for the default capture name (the profile's capture folder). */
  readonly captureDir?: string;
  readonly launch?: string;
}

/** The profile of that name (exact, else case-insensitive); a missing one is a one-line UsageError. */
export function loadProfile(name: string, store: ProfileStore = new ProfileStore()): Profile {
  let profile: Profile | undefined;
  try {
    profile = store.get(name);
  } catch (error) {
    if (error instanceof ProfileError) throw new UsageError(error.message);
    throw error;
  }
  if (!profile) {
    let names: string[] = [];
    try {
      names = store.list().map((p) => p.name);
    } catch {
      // get() just read it; a race with an editor is not worth a second message.
    }
    throw new UsageError(
      `no profile named '${name}' in ${store.path}` +
        (names.length > 0
          ? ` (there are: ${names.join(', ')})`
          : ' (save one from the attach page)'),
    );
  }
  return profile;
}

/**
 * --pcap FILE: its extension, as export's --out (--pcapng with a .pcap name is a
 * contradiction); else --pcapng, else the profile's format.
 */
function captureFormat(flags: BridgeFlags, profile?: Profile): CaptureFormat {
  if (flags.pcap === undefined) return flags.pcapng ? 'pcapng' : (profile?.captureFormat ?? 'pcap');
  const format = captureFormatOf('pcap', flags.pcap);
  if (flags.pcapng && format !== 'pcapng')
    throw new UsageError(
      `--pcapng contradicts --pcap ${flags.pcap}: name the file .pcapng (the name gives the format)`,
    );
  return format;
}

export function mergeProfile(flags: BridgeFlags, profile?: Profile): BridgeSettings {
  const pick = <T>(flag: T | undefined, saved: T | undefined): T | undefined => flag ?? saved;
  const debuggerEp = pick(flags.debugger, profile?.debugger);
  const target = pick(flags.target, profile?.target);
  const mode = pick(flags.mode, profile?.mode);
  const key = pick(flags.key, profile?.key || undefined);
  const launch = flags.noLaunch ? undefined : pick(flags.launch, profile?.launch || undefined);
  const captureDir = flags.pcap === undefined ? profile?.captureDir || undefined : undefined;
  return {
    ...(debuggerEp === undefined ? {} : { debugger: debuggerEp }),
    ...(target === undefined ? {} : { target }),
    ...(mode === undefined ? {} : { mode }),
    feedback: flags.feedback || profile?.feedback === true,
    ...(key === undefined ? {} : { key }),
    format: captureFormat(flags, profile),
    ...(flags.pcap === undefined ? {} : { pcap: flags.pcap }),
    ...(captureDir === undefined ? {} : { captureDir }),
    ...(launch === undefined ? {} : { launch }),
  };
}
