import 'element-plus/dist/index.css'
import './admin.css'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { createAppI18n, initialLocale } from '../i18n/index.ts'
import AdminApp from './AdminApp.vue'
import { createAdminApi } from './api.ts'
import { adminEn } from './i18n/en.ts'
import { adminJa } from './i18n/ja.ts'
import { createMktApi, setMktApi } from './mkt/api.ts'
import { mktEn } from './mkt/i18n/en.ts'
import { mktJa } from './mkt/i18n/ja.ts'
import { createAdminRouter } from './router.ts'
import { setAdminApi } from './services.ts'
import { useAdminSession } from './stores/session.ts'

/**
 * The head office's console: its own page (`admin.html`) and bundle, so nothing of it reaches
 * the customer's card (docs/decisions/050).
 */
const pinia = createPinia()
const session = useAdminSession(pinia)
setAdminApi(createAdminApi({ csrfToken: session.csrfToken, signedOut: session.signedOut }))
setMktApi(createMktApi({ csrfToken: session.csrfToken, signedOut: session.signedOut }))

const i18n = createAppI18n()
i18n.global.mergeLocaleMessage('ja', { admin: { ...adminJa, mkt: mktJa } })
i18n.global.mergeLocaleMessage('en', { admin: { ...adminEn, mkt: mktEn } })
const locale = initialLocale()
i18n.global.locale.value = locale
document.documentElement.lang = locale

createApp(AdminApp).use(pinia).use(i18n).use(createAdminRouter()).mount('#admin')
