import { z } from "zod";
import { cronSchedule } from "./lib/validators";

/** `mcp-platform:backups` — when the backup CronJobs run (seed 001, seed 003 RPO 1 h). */
export const backupsSchema = z.strictObject({
    schedules: z.strictObject({
        /** pg_dump of mcp_db. Hourly meets the 1 h RPO of seed 003. */
        postgres: cronSchedule,
        /** Application data (seed 001 `app-data-backup`). */
        appData: cronSchedule,
    }),
});

export type BackupsConfig = z.output<typeof backupsSchema>;
