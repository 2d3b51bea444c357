// Everything about opening and exporting captures that floats over either page.

import { CaptureDrop } from './CaptureDrop';
import { ExportDialog } from './ExportDialog';
import { KeyPrompt } from './KeyPrompt';
import { OpenCaptureDialog } from './OpenCaptureDialog';
import { ReplacePrompt } from './ReplacePrompt';
import './captures.css';

export function CaptureDialogs(): React.JSX.Element {
  return (
    <>
      <OpenCaptureDialog />
      <ExportDialog />
      <ReplacePrompt />
      <KeyPrompt />
      <CaptureDrop />
    </>
  );
}
