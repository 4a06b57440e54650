export * from './card-number.ts'
export * from './errors.ts'
export * from './schemas.ts'
