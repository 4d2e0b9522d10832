export * from "./backup-jobs";
export * from "./backup-storage";
export * from "./postgres";
export * from "./postgres-restore-job";
export * from "./redis";
