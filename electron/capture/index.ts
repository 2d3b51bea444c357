// Captures: writers (pcap, pcapng), readers (openCapture, openRawPair), the frame index.
export { CaptureError, CaptureWriteError } from './capture-error';
export { PcapWriter, PcapngWriter, openCaptureWriter } from './capture-writers';
export type { CaptureWriterOptions, PcapngWriterOptions } from './capture-writers';
export { openCapture, openRawPair } from './capture-source';
export type {
  CaptureFormat,
  CaptureSource,
  CaptureStats,
  ChunkRangeSink,
  OpenCaptureOptions,
  RawPairOptions,
} from './capture-source';
export { FrameIndex } from './frame-index';
export { nodeKdnetCrypto } from './kdnet-node-crypto';
export { pcapFileHeader, pcapRecords, pcapRecordsInto, pcapRecordsSize } from './pcap-format';
export {
  pcapngHeader,
  pcapngPacketBlocks,
  pcapngPacketBlocksInto,
  pcapngPacketBlocksSize,
} from './pcapng-format';
export type { RecordRange } from './container-parsers';
export type { StreamChunk } from './chunk';
export type { FrameWriter } from './frame-writer';
export type { SkipReason } from './link-layer';
