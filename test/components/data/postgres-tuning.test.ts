import { describe, expect, it } from "vitest";
import {
    formatPgMemory,
    postgresTuning,
    settingsArgs,
} from "../../../components/data/postgres-tuning";

describe("postgresTuning (the runbooks' tuning, scaled to the container)", () => {
    it("gives exactly the manual's figures for a 16Gi container", () => {
        expect(
            postgresTuning({ memoryLimit: "16Gi", maxConnections: 200, storageSize: "200Gi" }),
        ).toEqual({
            max_connections: "200",
            shared_buffers: "4GB",
            effective_cache_size: "12GB",
            maintenance_work_mem: "1GB",
            work_mem: "20MB",
            wal_buffers: "16MB",
            checkpoint_completion_target: "0.9",
            default_statistics_target: "100",
            random_page_cost: "1.1",
            effective_io_concurrency: "200",
            max_slot_wal_keep_size: "40GB",
        });
    });

    it("keeps the proportions on a smaller pod instead of a fixed 4GB", () => {
        const small = postgresTuning({
            memoryLimit: "2Gi",
            maxConnections: 100,
            storageSize: "20Gi",
        });
        expect(small.shared_buffers).toBe("512MB");
        expect(small.effective_cache_size).toBe("1536MB");
        expect(small.maintenance_work_mem).toBe("128MB");
        expect(small.wal_buffers).toBe("16MB");
        // (2Gi - 512MB) / (100 connections x 3) is 5.12MB: whole MB, at least 4MB.
        expect(small.work_mem).toBe("5MB");
        const tiny = postgresTuning({
            memoryLimit: "512Mi",
            maxConnections: 100,
            storageSize: "10Gi",
        });
        expect(tiny.shared_buffers).toBe("128MB");
        expect(tiny.wal_buffers).toBe("4MB");
        expect(tiny.work_mem).toBe("4MB");
    });

    it("caps maintenance_work_mem at 2GB on large pods", () => {
        const large = postgresTuning({
            memoryLimit: "64Gi",
            maxConnections: 500,
            storageSize: "1Ti",
        });
        expect(large.shared_buffers).toBe("16GB");
        expect(large.effective_cache_size).toBe("48GB");
        expect(large.maintenance_work_mem).toBe("2GB");
    });

    it("understands decimal units and refuses a pod too small for PostgreSQL", () => {
        expect(
            postgresTuning({ memoryLimit: "4G", maxConnections: 100, storageSize: "100G" })
                .shared_buffers,
        ).toBe("953MB");
        expect(() =>
            postgresTuning({ memoryLimit: "128Mi", maxConnections: 100, storageSize: "10Gi" }),
        ).toThrow("postgres memory limit 128Mi is too small (at least 256Mi is needed)");
        expect(() =>
            postgresTuning({ memoryLimit: "1Gi", maxConnections: 0, storageSize: "10Gi" }),
        ).toThrow("max_connections must be a positive integer (got 0)");
    });

    it("formats memory the way PostgreSQL reads it and renders server arguments", () => {
        expect(formatPgMemory(4 * 2 ** 30)).toBe("4GB");
        expect(formatPgMemory(1.5 * 2 ** 30)).toBe("1536MB");
        expect(formatPgMemory(1000)).toBe("1MB");
        expect(settingsArgs({ shared_buffers: "4GB", random_page_cost: "1.1" })).toEqual([
            "-c",
            "shared_buffers=4GB",
            "-c",
            "random_page_cost=1.1",
        ]);
    });
});
