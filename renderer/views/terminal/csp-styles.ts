// xterm writes its theme and cell-size rules into <style> elements it creates, and colours
// selected cells with setAttribute('style', ...). Our content security policy (style-src
// 'self', no 'unsafe-inline', checked by tests) blocks both, which leaves the terminal unstyled
// and logs a violation per cell. Both have CSSOM equivalents the policy allows (it guards
// against injected markup; script of our own origin is trusted anyway):
//   - a <style> created through document.createElement is given as an inert element whose
//     text goes into a CSSStyleSheet adopted by the document;
//   - setAttribute('style', text) sets element.style.cssText, which the attribute reflects.
// Nothing else in the renderer creates <style> elements or style attributes (React sets styles
// through the CSSOM), so the behaviour of the rest of the page does not change.

type StyleShim = HTMLElement & { sheet: CSSStyleSheet };

let installed = false;

export function installCspSafeStyles(doc: Document = document): void {
  if (installed) return;
  installed = true;
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string): void {
    // Every attribute React sets passes here: keep the test cheap (xterm writes "style").
    if ((name === 'style' || name === 'STYLE') && this instanceof HTMLElement) {
      this.style.cssText = String(value);
      return;
    }
    setAttribute.call(this, name, value);
  };
  const create = doc.createElement.bind(doc) as (
    tag: string,
    o?: ElementCreationOptions,
  ) => HTMLElement;
  const adopt = (sheet: CSSStyleSheet, on: boolean): void => {
    const rest = doc.adoptedStyleSheets.filter((s) => s !== sheet);
    doc.adoptedStyleSheets = on ? [...rest, sheet] : rest;
  };
  doc.createElement = ((tag: string, options?: ElementCreationOptions) => {
    if (tag.toLowerCase() !== 'style') return create(tag, options);
    const el = create('template') as StyleShim;
    const sheet = new CSSStyleSheet();
    let text = '';
    const set = (value: string | null): void => {
      text = value ?? '';
      try {
        sheet.replaceSync(text);
      } catch {
        // A rule the browser rejects is dropped, as in a <style> element.
      }
    };
    Object.defineProperty(el, 'textContent', { get: () => text, set });
    Object.defineProperty(el, 'innerText', { get: () => text, set });
    Object.defineProperty(el, 'sheet', { get: () => sheet });
    const remove = el.remove.bind(el);
    el.remove = () => {
      adopt(sheet, false);
      remove();
    };
    adopt(sheet, true);
    return el;
  }) as typeof doc.createElement;
}
