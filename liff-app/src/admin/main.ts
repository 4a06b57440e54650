import { definePreset } from '@primeuix/themes'
import Aura from '@primeuix/themes/aura'
import { createPinia } from 'pinia'
import PrimeVue from 'primevue/config'
import ToastService from 'primevue/toastservice'
import { createApp } from 'vue'
import { createAppI18n, initialLocale } from '../i18n/index.ts'
import AdminApp from './AdminApp.vue'
import { createAdminApi } from './api.ts'
import { adminEn } from './i18n/en.ts'
import { adminJa } from './i18n/ja.ts'
import { primeLocale } from './prime-locale.ts'
import { createAdminRouter } from './router.ts'
import { setAdminApi } from './services.ts'
import { useAdminSession } from './stores/session.ts'
import './admin.css'

/** The brand's green (the card's `--brand`) as PrimeVue's primary colour. */
const Theme = definePreset(Aura, {
  semantic: {
    primary: {
      50: '{green.50}',
      100: '{green.100}',
      200: '{green.200}',
      300: '{green.300}',
      400: '{green.400}',
      500: '{green.600}',
      600: '{green.700}',
      700: '{green.800}',
      800: '{green.900}',
      900: '{green.950}',
      950: '{green.950}',
    },
  },
})

const pinia = createPinia()
const session = useAdminSession(pinia)
setAdminApi(createAdminApi({ csrfToken: session.csrfToken, signedOut: session.signedOut }))

const i18n = createAppI18n()
i18n.global.mergeLocaleMessage('ja', { admin: adminJa })
i18n.global.mergeLocaleMessage('en', { admin: adminEn })
const locale = initialLocale()
i18n.global.locale.value = locale
document.documentElement.lang = locale

createApp(AdminApp)
  .use(pinia)
  .use(i18n)
  .use(PrimeVue, {
    theme: { preset: Theme, options: { darkModeSelector: false, cssLayer: false } },
    locale: primeLocale(locale),
  })
  .use(ToastService)
  .use(createAdminRouter())
  .mount('#admin')
