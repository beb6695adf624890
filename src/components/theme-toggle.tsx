'use client';
import { useEffect, useState } from 'react';

type Theme = 'system' | 'light' | 'dark';
const ORDER: Theme[] = ['system', 'light', 'dark'];
const KEY = 'console-theme';
const LABEL: Record<Theme, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };

function apply(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/**
 * Light, dark or the system's choice (the default, `prefers-color-scheme`), kept in this browser. The palette itself
 * is in src/app/theme-dark.css; this only sets `data-theme` on <html>.
 */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>('system');
  useEffect(() => {
    const saved = window.localStorage.getItem(KEY);
    if (saved === 'light' || saved === 'dark') {
      setTheme(saved);
      apply(saved);
    }
  }, []);
  const next = ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length] ?? 'system';
  return (
    <button
      type="button"
      data-testid="theme-toggle"
      title={`Switch to ${next === 'system' ? 'the system’s theme' : `the ${next} theme`}`}
      onClick={() => {
        setTheme(next);
        apply(next);
        if (next === 'system') window.localStorage.removeItem(KEY);
        else window.localStorage.setItem(KEY, next);
      }}
      className="rounded-md border border-slate-300 px-2 py-1 text-slate-700 hover:bg-slate-50"
    >
      {LABEL[theme]}
    </button>
  );
}
