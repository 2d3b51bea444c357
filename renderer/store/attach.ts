// The attach page's state: which page shows (attach or packets), the VMs and their channels,
// the form and its plan (the debugger command lines, or why it cannot start), profiles, the
// recorded sessions, and the confirmation a new Start asks for when the view holds a session.

import { create } from 'zustand';
import type {
  Profile,
  RecordedCapture,
  SessionPlan,
  StartOptions,
  VmList,
  VmView,
} from '../../electron/api/contract';
import {
  SIMULATED_VM,
  findChoice,
  formForChannel,
  formFromProfile,
  initialForm,
  profileFromForm,
  startOptions,
  type AttachForm,
  type VmChoice,
} from './attach-form';
import { engineClient, useWorkbench } from './workbench';

export interface StartConfirmation {
  /** Rows the view holds now. */
  readonly packets: number;
  readonly running: boolean;
  /** The capture they remain in, or why there is none. */
  readonly capture?: string;
  readonly captureError?: string;
  /** The view shows a capture file the user opened (its name), not a session. */
  readonly opened?: string;
  readonly options: StartOptions;
}

export interface AttachState {
  page: 'attach' | 'packets';
  vms: readonly VmView[];
  problems: VmList['problems'];
  host: VmList['host'];
  vmsLoading: boolean;
  vmsError: string | null;
  choice: VmChoice | null;
  form: AttachForm;
  plan: SessionPlan | null;
  /** A problem found before asking the engine (an empty endpoint). */
  localProblem: string | null;
  profiles: readonly Profile[];
  /** The profile the form was filled from (by VM name), if any. */
  profile: string | null;
  captures: readonly RecordedCapture[];
  confirm: StartConfirmation | null;
  starting: boolean;
  startError: string | null;
  notice: string | null;
}

export const useAttach = create<AttachState>(() => ({
  page: 'attach',
  vms: [],
  problems: [],
  host: undefined,
  vmsLoading: false,
  vmsError: null,
  choice: { provider: 'kdscope', vm: SIMULATED_VM, port: 'COM1' },
  form: initialForm,
  plan: null,
  localProblem: null,
  profiles: [],
  profile: null,
  captures: [],
  confirm: null,
  starting: false,
  startError: null,
  notice: null,
}));

const set = useAttach.setState;
const get = useAttach.getState;
const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

let planTimer: ReturnType<typeof setTimeout> | undefined;
let planSeq = 0;
let vmsInFlight = false;

/** Asks the engine what the form would do (debounced: the user is typing). */
function schedulePlan(delay = 120): void {
  if (planTimer) clearTimeout(planTimer);
  planTimer = setTimeout(() => void refreshPlan(), delay);
}

async function refreshPlan(): Promise<void> {
  const client = engineClient();
  const s = get();
  const built = startOptions(s.form, s.profile ?? undefined);
  if ('problem' in built) {
    set({ plan: null, localProblem: built.problem });
    return;
  }
  if (!client || useWorkbench.getState().connection !== 'open') return;
  const seq = ++planSeq;
  try {
    const plan = await client.invoke('session.plan', built.options);
    if (seq !== planSeq) return;
    const form = get().form;
    // The plan's "start debugger" command fills the field until the user types their own.
    const launch = !form.launchEdited && plan.defaultLaunch ? plan.defaultLaunch : form.launch;
    set({
      plan,
      localProblem: null,
      ...(launch !== form.launch ? { form: { ...form, launch } } : {}),
    });
  } catch (error) {
    if (seq === planSeq) set({ plan: null, localProblem: message(error) });
  }
}

function applyChoice(choice: VmChoice | null): void {
  const s = get();
  const found = findChoice(s.vms, choice);
  if (!found) return;
  let form = formForChannel(s.form, found.vm, found.channel, s.host);
  const profile = s.profiles.find((p) => p.name === found.vm.name);
  if (profile && (!profile.channel || profile.channel === found.channel.port))
    form = formFromProfile(form, profile);
  set({
    choice,
    form,
    profile: profile ? profile.name : null,
    notice: profile ? `Profile “${profile.name}” loaded` : null,
  });
  schedulePlan(0);
}

/** Whether Start would throw away a view that holds a session's packets. */
function viewHoldsSession(): boolean {
  const wb = useWorkbench.getState();
  return (
    wb.session.state === 'running' ||
    (wb.session.state !== 'idle' && wb.totalRows + wb.droppedRows > 0)
  );
}

export const attachActions = {
  showAttach(): void {
    set({ page: 'attach', startError: null });
    void attachActions.refresh();
  },
  showPackets(): void {
    set({ page: 'packets' });
  },

  /** VMs, profiles and recorded sessions, from the engine. */
  async refresh(): Promise<void> {
    await Promise.all([
      attachActions.refreshVms(),
      attachActions.refreshProfiles(),
      attachActions.refreshCaptures(),
    ]);
  },

  async refreshVms(): Promise<void> {
    const client = engineClient();
    if (!client || vmsInFlight) return;
    vmsInFlight = true;
    set({ vmsLoading: true });
    try {
      const list = await client.invoke('vms.list');
      const first = get().vms.length === 0;
      set({ vms: list.vms, problems: list.problems, host: list.host, vmsError: null });
      // The first listing fills the form for the preselected VM (the simulated one).
      if (first) applyChoice(get().choice);
    } catch (error) {
      set({ vmsError: message(error) });
    } finally {
      vmsInFlight = false;
      set({ vmsLoading: false });
    }
  },

  async refreshProfiles(): Promise<void> {
    try {
      const profiles = (await engineClient()?.invoke('profiles.list')) ?? [];
      set({ profiles });
    } catch (error) {
      set({ notice: `profiles: ${message(error)}` });
    }
  },

  async refreshCaptures(): Promise<void> {
    try {
      const captures = (await engineClient()?.invoke('captures.list')) ?? [];
      set({ captures });
    } catch {
      // The list is a convenience; the next refresh tries again.
    }
  },

  choose(choice: VmChoice): void {
    applyChoice(choice);
  },

  /** Edits the form; typing a target by hand leaves the VM list's choice. */
  setForm(patch: Partial<AttachForm>): void {
    const s = get();
    const form = { ...s.form, ...patch };
    const leavesChoice = patch.target !== undefined && patch.target !== s.form.target;
    set({ form, ...(leavesChoice ? { choice: null, profile: null } : {}), notice: null });
    schedulePlan();
  },

  /** Start, after asking when the view holds a session (its packets stay in its capture). */
  async start(confirmed = false): Promise<void> {
    const client = engineClient();
    const s = get();
    const built = startOptions(s.form, s.profile ?? undefined);
    if ('problem' in built) {
      set({ localProblem: built.problem });
      return;
    }
    if (!client) return;
    const wb = useWorkbench.getState();
    if (!confirmed && viewHoldsSession()) {
      set({
        confirm: {
          packets: wb.totalRows,
          running: wb.session.state === 'running',
          ...(wb.session.info?.capture ? { capture: wb.session.info.capture } : {}),
          ...(wb.session.captureError ? { captureError: wb.session.captureError } : {}),
          ...(wb.session.info?.opened ? { opened: wb.session.info.opened.name } : {}),
          options: built.options,
        },
      });
      return;
    }
    set({ starting: true, startError: null, confirm: null });
    try {
      if (useWorkbench.getState().session.state === 'running') await client.invoke('session.stop');
      await client.invoke('session.start', built.options);
      set({ page: 'packets' });
    } catch (error) {
      set({ startError: message(error) });
    } finally {
      set({ starting: false });
      void attachActions.refreshCaptures();
    }
  },

  cancelStart(): void {
    set({ confirm: null });
  },

  async stop(): Promise<void> {
    try {
      await engineClient()?.invoke('session.stop');
    } catch (error) {
      set({ startError: message(error) });
    }
    void attachActions.refreshCaptures();
  },

  /** Saves the form as the profile of the chosen VM (or of `name` for a free endpoint pair). */
  async saveProfile(name?: string): Promise<void> {
    const s = get();
    const found = findChoice(s.vms, s.choice);
    const profileName = (name ?? found?.vm.name ?? '').trim();
    if (!profileName) {
      set({ notice: 'choose a VM (or name the profile) to save it' });
      return;
    }
    const built = startOptions(s.form);
    if ('problem' in built) {
      set({ notice: built.problem });
      return;
    }
    try {
      await engineClient()?.invoke(
        'profiles.save',
        profileFromForm(s.form, profileName, found?.channel.port),
      );
      set({ profile: profileName, notice: `Profile “${profileName}” saved` });
      await attachActions.refreshProfiles();
    } catch (error) {
      set({ notice: `cannot save the profile: ${message(error)}` });
    }
  },

  /**
   * Fills the form from a saved profile: a VM's (its row chosen, as a click on it does) or a
   * free endpoint pair's (saved under a name of its own, usable by bridge --profile too).
   */
  loadProfile(name: string): void {
    const s = get();
    const profile = s.profiles.find((p) => p.name === name);
    if (!profile) return;
    const vm = s.vms.find((v) => v.name === profile.name);
    const channel = vm?.channels.find((c) => !profile.channel || c.port === profile.channel);
    if (vm && channel) {
      applyChoice({ provider: vm.provider, vm: vm.name, port: channel.port });
      return;
    }
    set({
      choice: null,
      form: formFromProfile(s.form, profile),
      profile: profile.name,
      notice: `Profile “${profile.name}” loaded`,
    });
    schedulePlan(0);
  },

  async deleteProfile(name: string): Promise<void> {
    try {
      await engineClient()?.invoke('profiles.delete', name);
      set({ profile: null, notice: `Profile “${name}” deleted` });
      await attachActions.refreshProfiles();
    } catch (error) {
      set({ notice: `cannot delete the profile: ${message(error)}` });
    }
  },
};

/** Wires the page to the engine connection (main.tsx, at start-up); returns the disposer. */
export function setupAttach(): () => void {
  // A (re)connected engine: fresh lists and plan; a session already running shows its packets.
  return useWorkbench.subscribe((s, prev) => {
    if (s.connection === 'open' && prev.connection !== 'open') {
      if (s.session.state === 'running' && get().vms.length === 0) set({ page: 'packets' });
      void attachActions.refresh();
      schedulePlan(0);
    }
  });
}
