// `kdscope bridge --profile NAME`: the profile's fields as defaults, every flag given wins, and
// a missing or broken profile is one line (a usage error, exit 2).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Profile } from '../../electron/api/contract';
import { loadProfile, mergeProfile, type BridgeFlags } from '../../electron/cli/bridge-profile';
import { UsageError } from '../../electron/cli/command';
import { ProfileStore } from '../../electron/engine/profiles/profile-store';

const none: BridgeFlags = { feedback: false, pcapng: false, noLaunch: false };
const profile: Profile = {
  name: 'win11',
  debugger: 'pipe:kdscope-win11',
  target: 'vmbus:win11',
  channel: 'VMBus pipe',
  mode: 'vmbus',
  feedback: true,
  key: '1.2.3.4',
  launch: 'windbg -k com:pipe,port=\\\\.\\pipe\\kdscope-win11,resets=0,reconnect',
  captureDir: '/captures/win11',
  captureFormat: 'pcapng',
};

describe('mergeProfile', () => {
  it('takes every field from the profile when no flag is given', () => {
    expect(mergeProfile(none, profile)).toEqual({
      debugger: 'pipe:kdscope-win11',
      target: 'vmbus:win11',
      mode: 'vmbus',
      feedback: true,
      key: '1.2.3.4',
      format: 'pcapng',
      captureDir: '/captures/win11',
      launch: profile.launch,
    });
  });

  it('lets each flag win over the profile', () => {
    expect(
      mergeProfile(
        {
          debugger: 'unix:/tmp/d.sock',
          target: 'sim:vmbus',
          mode: 'com',
          feedback: false,
          key: '5.6.7.8',
          pcap: 'here.pcap',
          pcapng: false,
          launch: 'kdscope simulate debugger --connect unix:/tmp/d.sock',
          noLaunch: false,
        },
        profile,
      ),
    ).toEqual({
      debugger: 'unix:/tmp/d.sock',
      target: 'sim:vmbus',
      mode: 'com',
      // A boolean flag can only switch on: the profile's feedback stays.
      feedback: true,
      key: '5.6.7.8',
      format: 'pcap',
      pcap: 'here.pcap',
      launch: 'kdscope simulate debugger --connect unix:/tmp/d.sock',
    });
    expect(mergeProfile({ ...none, noLaunch: true }, profile).launch).toBeUndefined();
    expect(
      mergeProfile({ ...none, pcapng: true }, { ...profile, captureFormat: 'pcap' }).format,
    ).toBe('pcapng');
  });

  it('--pcap FILE: the name gives the format, as export --out; --pcapng must agree', () => {
    expect(mergeProfile({ ...none, pcap: 'a.pcapng' }).format).toBe('pcapng');
    expect(mergeProfile({ ...none, pcap: 'a.PCAP' }, profile).format).toBe('pcap');
    expect(mergeProfile({ ...none, pcap: 'a.pcapng', pcapng: true }).format).toBe('pcapng');
    expect(() => mergeProfile({ ...none, pcap: 'a.pcap', pcapng: true })).toThrow(
      /--pcapng contradicts --pcap a\.pcap/,
    );
    expect(() => mergeProfile({ ...none, pcap: 'a.cap' })).toThrow(
      /--pcap must end in \.pcap or \.pcapng/,
    );
  });

  it('without a profile is the flags alone', () => {
    expect(mergeProfile({ ...none, debugger: 'sim', target: 'sim' })).toEqual({
      debugger: 'sim',
      target: 'sim',
      feedback: false,
      format: 'pcap',
    });
  });
});

describe('loadProfile', () => {
  let dir: string;
  let store: ProfileStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kdscope-profile-'));
    store = new ProfileStore(join(dir, 'profiles.json'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a profile by name, exactly or ignoring case', () => {
    store.save(profile);
    expect(loadProfile('win11', store)).toEqual(profile);
    expect(loadProfile('WIN11', store).name).toBe('win11');
  });

  it('an unknown name is one line naming the file and the profiles there are', () => {
    expect(() => loadProfile('nope', store)).toThrow(
      new UsageError(`no profile named 'nope' in ${store.path} (save one from the attach page)`),
    );
    store.save(profile);
    store.save({ ...profile, name: 'alpha' });
    expect(() => loadProfile('nope', store)).toThrow(
      new UsageError(`no profile named 'nope' in ${store.path} (there are: alpha, win11)`),
    );
  });

  it('a broken file is one line, and no key leaks into it', () => {
    writeFileSync(store.path, '{"profiles": [{"name": "x", "key": "1.2.3.4"');
    let message = '';
    try {
      loadProfile('x', store);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      message = (error as Error).message;
    }
    expect(message).toBe(`profiles ${store.path} is not valid JSON (fix or delete it)`);
    expect(message).not.toContain('1.2.3.4');
  });
});
