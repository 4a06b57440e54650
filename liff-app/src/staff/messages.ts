/** The till's messages, merged by the app's i18n setup under the `staff` key. */
export const staffMessages = {
  ja: {},
  en: {},
} as const
