// Japanese and English text. Each area of the UI keeps its messages in one file under locales/,
// written with defineMessages so that a key missing in either language is a compile error.
// The language follows the browser (navigator.languages) until the user picks one; the choice
// is remembered in localStorage.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { common } from './locales/common';
import { auth } from './locales/auth';
import { account } from './locales/account';
import { admin } from './locales/admin';
import { files } from './locales/files';
import type { Messages } from './messages';

export type Lang = 'en' | 'ja';
export const LANGS: readonly Lang[] = ['en', 'ja'];

const all = [common, auth, account, admin, files] as const;
type AreaKeys<T> = T extends Messages<infer K> ? K : never;
export type MessageKey = AreaKeys<(typeof all)[number]>;

const tables: Record<Lang, Record<string, string>> = { en: {}, ja: {} };
for (const area of all) {
  for (const lang of LANGS) {
    for (const [key, text] of Object.entries(area[lang])) {
      if (key in tables[lang]) throw new Error(`duplicate message key ${key}`);
      tables[lang][key] = text;
    }
  }
}

const STORAGE_KEY = 'furoshiki.lang';

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'ja') return saved;
  } catch {
    // Storage can be disabled; the browser's language then decides.
  }
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ja') return 'ja';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered; still applied for this page.
  }
  document.documentElement.lang = lang;
}

// t('key', {name: 'x'}) replaces {name} in the text.
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  return (key, vars) => {
    let text = tables[lang][key] ?? tables.en[key] ?? key;
    if (vars) {
      for (const [name, value] of Object.entries(vars)) text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  };
}

export interface I18n {
  lang: Lang;
  t: Translate;
  setLang: (lang: Lang) => void;
  // Dates and numbers in the user's language.
  formatDate: (iso: string) => string;
}

export const I18nContext = createContext<I18n>({
  lang: 'en',
  t: translator('en'),
  setLang: () => {},
  formatDate: (iso) => iso,
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export function dateFormatter(lang: Lang): (iso: string) => string {
  const format = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  return (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : format.format(d);
  };
}
