import { describe, expect, it } from "vitest";
import { type DrPosture, drPosture, nodeGroupSizes } from "../../contracts/dr-posture";
import { backupRootOfStandby } from "../../contracts/names";
import { parseStack } from "../support/config";

describe("drPosture", () => {
    // One row per posture; every field that differs between them is in the table.
    const table: [string, "primary" | "standby", boolean, DrPosture][] = [
        [
            "primary",
            "primary",
            false,
            {
                name: "primary",
                activeRegion: "primary",
                servicesAtMinimum: false,
                nodeGroupsActivated: false,
                backupRoot: undefined,
                backupsOnStandby: false,
                restoreLatestBackup: false,
                postgresStandby: false,
                walArchivePrefix: "wal",
                walSourcePrefix: "dr/wal",
                restoreAccess: false,
                verifyRoot: undefined,
                verifyWaitSeconds: 0,
                holdsWalArchive: false,
                ownsSharedHosts: true,
            },
        ],
        [
            "idle standby",
            "standby",
            false,
            {
                name: "standby",
                activeRegion: "primary",
                servicesAtMinimum: true,
                nodeGroupsActivated: false,
                backupRoot: backupRootOfStandby,
                backupsOnStandby: true,
                restoreLatestBackup: false,
                postgresStandby: true,
                walArchivePrefix: "dr/wal",
                walSourcePrefix: "wal",
                restoreAccess: true,
                verifyRoot: undefined,
                verifyWaitSeconds: 900,
                holdsWalArchive: true,
                ownsSharedHosts: false,
            },
        ],
        [
            "activated standby",
            "standby",
            true,
            {
                name: "activated",
                activeRegion: "dr",
                servicesAtMinimum: false,
                nodeGroupsActivated: true,
                backupRoot: backupRootOfStandby,
                backupsOnStandby: false,
                // Activation promotes the standby; the dump restore is the configured fallback.
                restoreLatestBackup: false,
                postgresStandby: true,
                walArchivePrefix: "dr/wal",
                walSourcePrefix: "wal",
                restoreAccess: true,
                verifyRoot: backupRootOfStandby,
                verifyWaitSeconds: 0,
                holdsWalArchive: true,
                ownsSharedHosts: false,
            },
        ],
    ];

    it.each(table)("%s", (_title, role, drActive, expected) => {
        expect(drPosture(role, drActive)).toEqual(expected);
    });

    it("restores the replicated dump at activation only when backups.restore.from is dump", () => {
        expect(drPosture("standby", true, "dump").restoreLatestBackup).toBe(true);
        expect(drPosture("standby", false, "dump").restoreLatestBackup).toBe(false);
        expect(drPosture("primary", false, "dump").restoreLatestBackup).toBe(false);
        const fallback = parseStack("dr", (ns) => {
            ns["mcp-platform"].drActive = true;
            (ns["mcp-platform"].backups as { restore: Record<string, unknown> }).restore.from =
                "dump";
        });
        expect(fallback.dr).toEqual(drPosture("standby", true, "dump"));
    });

    it("is what the config loader hands the program for each committed stack", () => {
        expect(parseStack("production").dr).toEqual(drPosture("primary", false));
        expect(parseStack("dr").dr).toEqual(drPosture("standby", false));
        const activated = parseStack("dr", (ns) => (ns["mcp-platform"].drActive = true));
        expect(activated.dr).toEqual(drPosture("standby", true));
    });

    it("grows node groups to their activated sizes only when activated", () => {
        const groups = {
            system: { minSize: 2, desiredSize: 2 },
            workers: { minSize: 1, desiredSize: 1, activated: { minSize: 3, desiredSize: 5 } },
        };
        expect(nodeGroupSizes(groups, drPosture("standby", false))).toBe(groups);
        expect(nodeGroupSizes(groups, drPosture("standby", true))).toEqual({
            system: { minSize: 2, desiredSize: 2 },
            workers: { minSize: 3, desiredSize: 5, activated: { minSize: 3, desiredSize: 5 } },
        });
    });
});
