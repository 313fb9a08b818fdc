import { type FocusEvent, type KeyboardEvent, useId, useRef, useState } from 'react';
import { copyText } from '../lib/clipboard';

export interface MenuItem {
  label: string;
  run: () => unknown;
}

const items = (root: HTMLElement | null) =>
  Array.from(root?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? []);

/**
 * A message's actions (copy, open its run) behind one "⋯" button that shows on hover or focus, so a conversation
 * reads as text, not as rows of buttons. A real menu for the keyboard: Enter/Space/↓ open it on the first item,
 * ↑/↓ move, Esc closes it and returns to the button, Tab leaves it.
 */
export function MessageMenu({
  text,
  extra = [],
  label,
}: {
  text: string;
  extra?: MenuItem[];
  label: string;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [status, setStatus] = useState('');
  const trigger = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  // Focus (or a click) that lands outside the button and its menu closes the menu.
  const leave = (e: FocusEvent) => {
    if (!wrapper.current?.contains(e.relatedTarget as Node | null)) setOpen(false);
  };

  const all: MenuItem[] = [
    {
      label: 'Copy message',
      run: async () => {
        setStatus((await copyText(text)) ? 'Copied' : 'Copy failed');
        setTimeout(() => setStatus(''), 2000);
      },
    },
    ...extra,
  ];
  const show = () => {
    setStatus('');
    setOpen(true);
    setTimeout(() => items(menu.current)[0]?.focus());
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) setTimeout(() => trigger.current?.focus());
  };
  const onMenuKey = (e: KeyboardEvent) => {
    const list = items(menu.current);
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      list[(at + step + list.length) % list.length]?.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      (e.key === 'Home' ? list[0] : list.at(-1))?.focus();
    } else if (e.key === 'Tab') {
      setOpen(false);
    }
  };

  return (
    <div className="relative" ref={wrapper}>
      <button
        ref={trigger}
        type="button"
        className={`rounded px-1.5 text-sm leading-5 text-slate-600 hover:bg-slate-200 focus-visible:opacity-100 group-hover:opacity-100 group-focus-within:opacity-100 dark:text-slate-300 dark:hover:bg-slate-700 ${open ? 'opacity-100' : 'opacity-0'}`}
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => (open ? close(false) : show())}
        onBlur={leave}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            show();
          }
        }}
        data-testid="message-menu-button"
      >
        ⋯
      </button>
      {open && (
        <div
          ref={menu}
          id={id}
          role="menu"
          aria-label={label}
          tabIndex={-1}
          className="absolute top-6 right-0 z-10 flex min-w-36 flex-col rounded-md border border-slate-200 bg-white py-1 text-sm shadow-md dark:border-slate-700 dark:bg-slate-900"
          onKeyDown={onMenuKey}
          onBlur={leave}
          data-testid="message-menu"
        >
          {all.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className="px-3 py-1 text-left hover:bg-slate-100 focus:bg-slate-100 focus:outline-none dark:hover:bg-slate-800 dark:focus:bg-slate-800"
              onClick={async () => {
                await item.run();
                close(true);
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
      <span role="status" className="sr-only">
        {status}
      </span>
      {status === 'Copied' && !open && (
        <span
          aria-hidden="true"
          className="absolute top-0 right-7 text-xs text-slate-600 dark:text-slate-400"
        >
          Copied
        </span>
      )}
    </div>
  );
}
