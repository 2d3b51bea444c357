// What the VM providers report: each VM a user could attach to, and its KD-capable channels.

export interface VmChannel {
  /** How the channel reaches the host. */
  readonly kind: 'com-pipe' | 'unix' | 'tcp' | 'pty' | 'serial' | 'vmbus' | 'sim';
  /** Which guest port it is (COM1, serial0, ...). */
  readonly port: string;
  /** Host-side path: pipe path, socket path, host:port, device. */
  readonly path: string;
  /** The kdscope endpoint that reaches it (`--target EP`), when kdscope can. */
  readonly endpoint?: string;
  /** One plain line for the user (e.g. "QEMU is the server: kdscope connects as client"). */
  readonly note?: string;
}

export interface VmInfo {
  readonly provider: string;
  readonly name: string;
  readonly state: 'running' | 'stopped' | 'paused' | 'saved' | 'unknown';
  readonly id?: string;
  readonly channels: readonly VmChannel[];
}

export interface VmProvider {
  readonly name: string;
  /** Lists the VMs; a provider whose tool is absent returns [] and says why in `problem`. */
  list(signal?: AbortSignal): Promise<ProviderResult>;
}

export interface ProviderResult {
  readonly vms: readonly VmInfo[];
  /** Why the provider saw nothing (tool missing, access denied), in one line. */
  readonly problem?: string;
}
