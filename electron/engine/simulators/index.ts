// The simulators: a KD target and a scripted KD debugger (see each module).
export {
  SimTarget,
  SIM_VERSION,
  SIM_MSRS,
  Status,
  type SimTargetOptions,
  type SimTargetState,
  type SimTargetStats,
} from './target';
export { createSimTargetChannel, simTargetFactory, type SimTargetChannel } from './channel';
export { serveSimTarget, type SimTargetServer } from './server';
export {
  ScriptedDebugger,
  SessionError,
  runScriptedDebugger,
  type DebuggerReport,
  type ScriptedDebuggerOptions,
} from './debugger';
export { parseFault, type SimFault, type SimFaultKind } from './faults';
export { IMAGE_BASE, IMAGE_PHYSICAL, IMAGE_SIZE, ImageLayout } from './memory';
export {
  createSimVmbusTarget,
  simVmbusTargetFactory,
  type SimVmbusOptions,
  type SimVmbusTarget,
} from './vmbus-target';
export { SimVmbusRings, formatRingStats, type RingStats } from './vmbus-rings';
