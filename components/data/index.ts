export * from "./backup-jobs";
export * from "./backup-roles";
export { parseKmsArn } from "./backup-policies";
export * from "./backup-storage";
export * from "./postgres";
export * from "./postgres-restore-job";
export * from "./redis";
export * from "./wal-archive";
