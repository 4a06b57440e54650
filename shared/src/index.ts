export * from './card-number.ts'
export * from './errors.ts'
export * from './points.ts'
export * from './schemas.ts'
