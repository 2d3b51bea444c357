// The attach page's form as plain data, and what it means: the start options it asks for, the
// profile it saves, the form a profile or a VM's channel fills in, the default debugger endpoint
// for a VM on the engine's platform. Pure, so it is unit-tested without a browser.

import type {
  CaptureFormat,
  Profile,
  SessionMode,
  StartOptions,
  VmChannelView,
  VmList,
  VmView,
} from '../../electron/api/contract';

export interface AttachForm {
  /** builtin: the scripted debugger in process (debugger `sim`); endpoint: WinDbg connects. */
  debuggerKind: 'builtin' | 'endpoint';
  /** The debugger endpoint the bridge serves (debuggerKind endpoint). */
  debugger: string;
  target: string;
  /** '' = from the target. */
  mode: '' | SessionMode;
  feedback: boolean;
  key: string;
  captureFormat: CaptureFormat;
  /** '' = the engine's captures folder. */
  captureDir: string;
  /** "Start debugger" once the bridge listens. */
  launchOn: boolean;
  launch: string;
  /** The user typed the command: the plan's default no longer replaces it. */
  launchEdited: boolean;
  /** Packets per second of the built-in scripted debugger. */
  rate: number;
}

/** The chosen VM channel (by provider, VM name and port label). */
export interface VmChoice {
  readonly provider: string;
  readonly vm: string;
  readonly port: string;
}

export const SCRIPTED_RATES: readonly (readonly [string, number])[] = [
  ['Live pace (400/s)', 400],
  ['Fast (5k/s)', 5000],
  ['Flood (50k/s)', 50000],
];

export const SIMULATED_VM = 'simulated';

export const initialForm: AttachForm = {
  debuggerKind: 'builtin',
  debugger: '',
  target: 'sim',
  mode: '',
  feedback: false,
  key: '',
  captureFormat: 'pcap',
  captureDir: '',
  launchOn: false,
  launch: '',
  launchEdited: false,
  rate: 400,
};

/** A name that fits in a pipe name and a socket path: kdscope-<vm>. */
export function endpointSlug(vm: string): string {
  const slug = vm
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^kdscope-?/, '')
    .slice(0, 40);
  return `kdscope-${slug || 'vm'}`;
}

/**
 * Where the bridge serves the debugger for a VM: a named pipe on Windows (what WinDbg's
 * com:pipe reaches), a Unix socket in the engine's temp folder elsewhere; a loopback TCP port
 * when the engine did not say where it runs.
 */
export function defaultDebuggerEndpoint(vm: string, host: VmList['host']): string {
  if (!host) return 'tcp:127.0.0.1:50001';
  if (host.platform === 'win32') return `pipe:${endpointSlug(vm)}`;
  const dir = host.tempDir.replace(/\/+$/, '') || '/tmp';
  return `unix:${dir}/${endpointSlug(vm)}.sock`;
}

/** The target endpoint of a channel: its own, else the VM by name. */
export const channelTarget = (vm: VmView, channel: VmChannelView): string =>
  channel.endpoint ?? (channel.kind === 'vmbus' ? `vmbus:${vm.name}` : `vm:${vm.name}`);

/** The form for a VM's channel: its target, the built-in debugger for the simulated VM. */
export function formForChannel(
  form: AttachForm,
  vm: VmView,
  channel: VmChannelView,
  host: VmList['host'],
): AttachForm {
  const simulated = channel.kind === 'sim';
  return {
    ...form,
    target: channelTarget(vm, channel),
    debuggerKind: simulated ? 'builtin' : 'endpoint',
    // A KDNET target talks to a debugger that listens on UDP (WinDbg's net: port).
    debugger:
      channel.endpoint === 'sim:kdnet'
        ? 'udp:127.0.0.1:50000'
        : simulated && form.debugger
          ? form.debugger
          : defaultDebuggerEndpoint(vm.name, host),
    mode: '',
    feedback: false,
    key: '',
    launchOn: false,
    launch: '',
    launchEdited: false,
  };
}

export function formFromProfile(form: AttachForm, profile: Profile): AttachForm {
  const builtin = profile.debugger === 'sim';
  return {
    ...form,
    debuggerKind: builtin ? 'builtin' : 'endpoint',
    debugger: builtin ? form.debugger : profile.debugger,
    target: profile.target,
    mode: profile.mode ?? '',
    feedback: profile.feedback === true,
    key: profile.key ?? '',
    captureFormat: profile.captureFormat ?? 'pcap',
    captureDir: profile.captureDir ?? '',
    launchOn: !!profile.launch,
    launch: profile.launch ?? '',
    launchEdited: !!profile.launch,
  };
}

export function profileFromForm(form: AttachForm, name: string, channel?: string): Profile {
  return {
    name,
    debugger: form.debuggerKind === 'builtin' ? 'sim' : form.debugger.trim(),
    target: form.target.trim(),
    ...(channel ? { channel } : {}),
    ...(form.mode ? { mode: form.mode } : {}),
    ...(form.feedback ? { feedback: true } : {}),
    ...(form.key.trim() ? { key: form.key.trim() } : {}),
    ...(form.launchOn && form.launch.trim() ? { launch: form.launch.trim() } : {}),
    ...(form.captureDir.trim() ? { captureDir: form.captureDir.trim() } : {}),
    ...(form.captureFormat !== 'pcap' ? { captureFormat: form.captureFormat } : {}),
  };
}

/** What Start sends; a missing endpoint is a one-line problem instead. */
export function startOptions(
  form: AttachForm,
  profile?: string,
): { options: StartOptions } | { problem: string } {
  const builtin = form.debuggerKind === 'builtin';
  const debuggerEp = builtin ? 'sim' : form.debugger.trim();
  const target = form.target.trim();
  if (!debuggerEp) return { problem: 'enter the endpoint the debugger connects to' };
  if (!target) return { problem: 'choose a VM or enter the target endpoint' };
  return {
    options: {
      debugger: debuggerEp,
      target,
      ...(form.mode ? { mode: form.mode } : {}),
      ...(form.feedback ? { feedback: true } : {}),
      ...(form.key.trim() ? { key: form.key.trim() } : {}),
      captureFormat: form.captureFormat,
      ...(form.captureDir.trim() ? { captureDir: form.captureDir.trim() } : {}),
      ...(builtin ? { rate: form.rate } : {}),
      ...(!builtin && form.launchOn && form.launch.trim() ? { launch: form.launch.trim() } : {}),
      ...(profile ? { profile } : {}),
    },
  };
}

/** The channel a choice names, if the list still has it. */
export function findChoice(
  vms: readonly VmView[],
  choice: VmChoice | null,
): { vm: VmView; channel: VmChannelView } | null {
  if (!choice) return null;
  const vm = vms.find((v) => v.provider === choice.provider && v.name === choice.vm);
  const channel = vm?.channels.find((c) => c.port === choice.port);
  return vm && channel ? { vm, channel } : null;
}
