// The attach page's form as data: the default debugger endpoint per platform, what a VM channel
// or a profile fills in, the start options and profile it makes; and each side's link in words.
import { describe, expect, it } from 'vitest';
import type { PeerStatus, VmView } from '../../electron/api/contract';
import { validators } from '../../electron/api/contract-validators';
import {
  defaultDebuggerEndpoint,
  endpointSlug,
  findChoice,
  formForChannel,
  formFromProfile,
  initialForm,
  profileFromForm,
  startOptions,
} from '../../renderer/store/attach-form';
import { launchedWords, peerWords } from '../../renderer/store/peer-words';

const linux = { platform: 'linux', tempDir: '/tmp' };
const windows = { platform: 'win32', tempDir: 'C:\\Users\\u\\AppData\\Local\\Temp' };
const win11: VmView = {
  provider: 'hyperv',
  name: 'Win 11 (dev)',
  state: 'running',
  channels: [
    {
      kind: 'com-pipe',
      port: 'COM1',
      path: '\\\\.\\pipe\\win11-com1',
      endpoint: 'pipe:win11-com1',
    },
    { kind: 'vmbus', port: 'VMBus pipe', path: '(vmbus)' },
  ],
};
const simulated: VmView = {
  provider: 'kdscope',
  name: 'simulated',
  state: 'running',
  channels: [{ kind: 'sim', port: 'COM1', path: '(in process)', endpoint: 'sim' }],
};

describe('the default debugger endpoint', () => {
  it('is a named pipe on Windows and a socket in the temp folder elsewhere', () => {
    expect(defaultDebuggerEndpoint('Win 11 (dev)', windows)).toBe('pipe:kdscope-win-11-dev');
    expect(defaultDebuggerEndpoint('Win 11 (dev)', linux)).toBe(
      'unix:/tmp/kdscope-win-11-dev.sock',
    );
    expect(defaultDebuggerEndpoint('x', { platform: 'darwin', tempDir: '/var/folders/t/' })).toBe(
      'unix:/var/folders/t/kdscope-x.sock',
    );
    expect(defaultDebuggerEndpoint('x', undefined)).toBe('tcp:127.0.0.1:50001');
  });

  it('names it after the VM, short enough for a socket path', () => {
    expect(endpointSlug('kdscope-e2e-12')).toBe('kdscope-e2e-12');
    expect(endpointSlug('///')).toBe('kdscope-vm');
    expect(endpointSlug('a'.repeat(200)).length).toBeLessThanOrEqual(48);
  });
});

describe('the form', () => {
  it("a VM's channel fills the target and the bridge's debugger endpoint", () => {
    const com = formForChannel(initialForm, win11, win11.channels[0]!, windows);
    expect(com).toMatchObject({
      target: 'pipe:win11-com1',
      debuggerKind: 'endpoint',
      debugger: 'pipe:kdscope-win-11-dev',
      launchOn: false,
    });
    expect(formForChannel(initialForm, win11, win11.channels[1]!, windows).target).toBe(
      'vmbus:Win 11 (dev)',
    );
    expect(formForChannel(com, simulated, simulated.channels[0]!, linux)).toMatchObject({
      target: 'sim',
      debuggerKind: 'builtin',
    });
  });

  it('makes start options the engine accepts, or says what is missing', () => {
    const built = startOptions({
      ...initialForm,
      debuggerKind: 'endpoint',
      debugger: ' unix:/tmp/d.sock ',
      target: 'unix:/tmp/t.sock',
      launchOn: true,
      launch: 'kdscope simulate debugger --connect unix:/tmp/d.sock',
    });
    expect(built).toEqual({
      options: {
        debugger: 'unix:/tmp/d.sock',
        target: 'unix:/tmp/t.sock',
        captureFormat: 'pcap',
        launch: 'kdscope simulate debugger --connect unix:/tmp/d.sock',
      },
    });
    expect(validators['session.start'](['options' in built ? built.options : null])).toBe(true);
    const sim = startOptions(initialForm, 'simulated');
    expect(sim).toEqual({
      options: {
        debugger: 'sim',
        target: 'sim',
        captureFormat: 'pcap',
        rate: 400,
        profile: 'simulated',
      },
    });
    expect(validators['session.start'](['options' in sim ? sim.options : null])).toBe(true);
    // The built-in debugger starts nothing; an empty endpoint is a problem, not a call.
    expect(startOptions({ ...initialForm, launchOn: true, launch: 'x' })).not.toHaveProperty(
      'options.launch',
    );
    expect(startOptions({ ...initialForm, debuggerKind: 'endpoint', debugger: ' ' })).toEqual({
      problem: 'enter the endpoint the debugger connects to',
    });
    expect(startOptions({ ...initialForm, target: '' })).toEqual({
      problem: 'choose a VM or enter the target endpoint',
    });
  });

  it('saves a profile the engine accepts and reads it back into the same form', () => {
    const form = {
      ...initialForm,
      debuggerKind: 'endpoint' as const,
      debugger: 'pipe:kdscope-win11',
      target: 'vmbus:win11',
      mode: 'vmbus' as const,
      feedback: true,
      key: '1.2.3.4',
      captureFormat: 'pcapng' as const,
      captureDir: 'D:\\captures',
      launchOn: true,
      launch: 'windbg -k com:pipe,port=\\\\.\\pipe\\kdscope-win11,resets=0,reconnect',
      launchEdited: true,
    };
    const profile = profileFromForm(form, 'win11', 'VMBus pipe');
    expect(validators['profiles.save']([profile])).toBe(true);
    expect(formFromProfile(initialForm, profile)).toEqual(form);
    // The built-in debugger is saved as 'sim' and read back as the built-in choice.
    const sim = profileFromForm(initialForm, 'simulated', 'COM1');
    expect(sim).toEqual({ name: 'simulated', debugger: 'sim', target: 'sim', channel: 'COM1' });
    expect(formFromProfile(initialForm, sim).debuggerKind).toBe('builtin');
  });

  it('finds a chosen channel while the list still has it', () => {
    expect(
      findChoice([win11], { provider: 'hyperv', vm: 'Win 11 (dev)', port: 'COM1' })?.channel.port,
    ).toBe('COM1');
    expect(findChoice([win11], { provider: 'qemu', vm: 'Win 11 (dev)', port: 'COM1' })).toBeNull();
    expect(findChoice([win11], null)).toBeNull();
  });
});

describe('peer words', () => {
  const peer = (p: Partial<PeerStatus>): PeerStatus => ({
    connection: 'connected',
    condition: 'talking',
    line: 'debugger: connected and talking',
    connections: 1,
    ...p,
  });

  it('says each condition in a few words, with the reconnects', () => {
    expect(peerWords(peer({}))).toEqual({
      text: 'talking',
      tone: 'ok',
      reconnects: '',
      title: 'debugger: connected and talking',
    });
    expect(peerWords(peer({ connections: 2 })).reconnects).toBe('1 reconnect');
    expect(peerWords(peer({ connections: 4 })).reconnects).toBe('3 reconnects');
    expect(peerWords(peer({ condition: 'waiting', connections: 0 })).text).toBe('waiting');
    expect(peerWords(peer({ condition: 'reset-loop' })).text).toBe('RESET bounce');
    expect(peerWords(peer({ condition: 'no-ack' })).text).toBe('not acknowledging');
    const silent = peer({
      condition: 'silent',
      line: 'target: connected, silent for 12 s (running, or is the VM paused?)',
    });
    expect(peerWords(silent)).toMatchObject({ text: 'silent 12 s', tone: 'warn' });
    // The seconds count on between the engine's reports.
    expect(peerWords(silent, 3400).text).toBe('silent 15 s');
    const gone = peer({
      condition: 'gone',
      connection: 'gone',
      line: 'debugger: gone for 0 s, waiting for the debugger to reconnect',
    });
    expect(peerWords(gone)).toMatchObject({ text: 'gone 0 s', tone: 'bad' });
  });

  it('a target that was up and is redialled is gone, reconnecting: the dial error is the detail', () => {
    const redialled = peer({
      condition: 'gone',
      connection: 'gone',
      line: 'target: gone for 1 s, reconnecting (is the VM still running?)',
      error: 'unix:/tmp/t.sock: connection refused: nothing listens there',
    });
    const words = peerWords(redialled, 5200);
    expect(words).toMatchObject({ text: 'gone 6 s, reconnecting', tone: 'bad' });
    // The tooltip counts on with the label, and names the last attempt.
    expect(words.title).toBe(
      'target: gone for 6 s, reconnecting (is the VM still running?)\n' +
        'last attempt: unix:/tmp/t.sock: connection refused: nothing listens there',
    );
  });

  it('names the bytes for a side that reached no one in its tooltip', () => {
    const waiting = peer({
      condition: 'waiting',
      connection: 'waiting',
      connections: 0,
      line: 'debugger: waiting for the debugger to connect',
      notDelivered: 2 * 1024 * 1024,
    });
    const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    expect(peerWords(waiting, 0, mib).title).toBe(
      'debugger: waiting for the debugger to connect\n' +
        '2.0 MiB for it not delivered (read while it was not connected; recorded)',
    );
    expect(peerWords(peer({})).title).toBe('debugger: connected and talking');
  });

  it('a target never reached is not up yet, with why', () => {
    const notYet = peer({
      condition: 'error',
      connection: 'waiting',
      connections: 0,
      line: 'target: unix:/tmp/t.sock: nobody listens there (no such socket)',
      error: 'unix:/tmp/t.sock: nobody listens there (no such socket)',
    });
    expect(peerWords(notYet)).toMatchObject({
      text: 'not up yet: nobody listens',
      tone: 'warn',
    });
  });

  it('turns transport errors into plain words', () => {
    const error = (e: string): string =>
      peerWords(peer({ condition: 'error', connection: 'gone', error: e })).text;
    expect(error('cannot open \\\\.\\pipe\\x: all pipe instances are busy (ERROR_PIPE_BUSY)')).toBe(
      'error: pipe busy',
    );
    expect(error('connect ECONNREFUSED 127.0.0.1:9')).toBe('error: refused');
    expect(error('connect ENOENT /tmp/t.sock')).toBe('error: not found');
    expect(error('tcp:10.0.0.2:9: host unreachable')).toBe('error: host unreachable');
    expect(error('something else entirely that is rather long to show in a chip')).toBe(
      'error: something else entirely that is rather…',
    );
  });

  it('says what the launched debugger does', () => {
    expect(launchedWords({ command: 'x', pid: 12, state: 'running' })).toBe('running (pid 12)');
    expect(launchedWords({ command: 'x', state: 'exited', detail: 'exit code 0' })).toBe(
      'ended: exit code 0',
    );
    expect(
      launchedWords({ command: 'x', state: 'failed', detail: 'cannot run x: not found' }),
    ).toBe('failed: cannot run x: not found');
  });
});
