// How an area of the UI declares its text: English and Japanese with exactly the same keys,
// so that a missing translation is a compile error, not a blank label.
export interface Messages<K extends string> {
  en: Record<K, string>;
  ja: Record<K, string>;
}

export function defineMessages<const E extends Record<string, string>>(
  en: E,
  ja: { [K in keyof E]: string },
): Messages<Extract<keyof E, string>> {
  return { en, ja } as Messages<Extract<keyof E, string>>;
}
