// A draggable (and keyboard-adjustable) divider between two panes.

export function Splitter(props: {
  orientation: 'horizontal' | 'vertical';
  label: string;
  /** Current position in [0, 1] for screen readers (or a px value). */
  value: number;
  /** The pointer moved to this client coordinate (x for vertical, y for horizontal). */
  onDrag: (clientPos: number) => void;
  /** Arrow keys: move by this many px (negative: up/left). */
  onStep: (px: number) => void;
  testId: string;
}): React.JSX.Element {
  const vertical = props.orientation === 'vertical';
  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>): void => {
    e.preventDefault();
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    const move = (m: PointerEvent): void => props.onDrag(vertical ? m.clientX : m.clientY);
    const up = (): void => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      el.removeEventListener('pointercancel', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', up);
  };
  return (
    <div
      className={`splitter ${vertical ? 'splitter-v' : 'splitter-h'}`}
      role="separator"
      aria-orientation={vertical ? 'vertical' : 'horizontal'}
      aria-label={props.label}
      aria-valuenow={Math.round(props.value * 100) / 100}
      tabIndex={0}
      data-testid={props.testId}
      onPointerDown={onPointerDown}
      onKeyDown={(e) => {
        const back = vertical ? 'ArrowLeft' : 'ArrowUp';
        const fwd = vertical ? 'ArrowRight' : 'ArrowDown';
        if (e.key !== back && e.key !== fwd) return;
        e.preventDefault();
        props.onStep((e.key === fwd ? 1 : -1) * (e.shiftKey ? 60 : 15));
      }}
    />
  );
}
