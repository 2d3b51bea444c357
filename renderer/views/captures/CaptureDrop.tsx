// A capture dropped anywhere on the window is opened (uploaded in web mode, by its path in the
// desktop app); while one is dragged over, the window says so. Ctrl+O opens the open dialog.

import { useEffect } from 'react';
import { captureActions, useCaptures } from '../../store/captures';

const carriesFiles = (e: DragEvent): boolean =>
  e.dataTransfer !== null && Array.from(e.dataTransfer.types).includes('Files');

export function CaptureDrop(): React.JSX.Element | null {
  const dragging = useCaptures((s) => s.dragging);
  useEffect(() => {
    // dragenter/dragleave fire for every element crossed: count them to know when it left.
    let depth = 0;
    const onEnter = (e: DragEvent): void => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth++;
      captureActions.setDragging(true);
    };
    const onOver = (e: DragEvent): void => {
      if (!carriesFiles(e)) return;
      // Without this the browser opens the file itself instead of letting us have it.
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = (e: DragEvent): void => {
      if (!carriesFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) captureActions.setDragging(false);
    };
    const onDrop = (e: DragEvent): void => {
      depth = 0;
      captureActions.setDragging(false);
      const files = e.dataTransfer?.files;
      if (!files || files.length === 0) return;
      e.preventDefault();
      void captureActions.dropFiles(Array.from(files));
    };
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== 'o')
        return;
      e.preventDefault();
      const s = useCaptures.getState();
      if (s.keyPrompt || s.replacePrompt || s.dialog === 'export') return;
      captureActions.showOpen();
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
      window.removeEventListener('keydown', onKey);
    };
  }, []);
  if (!dragging) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div>Drop a capture to open it (pcap, pcapng, .gz)</div>
    </div>
  );
}
