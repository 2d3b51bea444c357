// The VMBus channel (windbg-uefi's pipe messages over vmbuspiper.dll, a socket or simulated
// rings) and VMs by name.
export {
  PipeChannel,
  systemClock,
  type PipeChannelOptions,
  type PipeChannelStats,
  type PipeClock,
} from './pipe-channel';
export { MessageReader, MAX_PIPE_PAYLOAD } from './message-reader';
export {
  frameMessage,
  lengthPrefixedTransport,
  type PipeTransport,
  type PipeTransportHandlers,
} from './pipe-transport';
export {
  findVms,
  pipeMessageDialer,
  vmDialer,
  vmbusDialer,
  type VmbusDialOptions,
} from './dialers';
export { resolveVmId } from './hyperv-vm-id';
