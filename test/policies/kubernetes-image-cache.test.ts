import { describe, expect, it } from "vitest";
import { cachedImage, cachePrefixes, ecrRegistryHost } from "../../contracts/image-cache";
import { imageCacheExemptions } from "../../policies/exemptions";
import { isCachedImage } from "../../policies/kubernetes-image-cache";
import { imageCacheCases, imageOwnRegistryCases } from "./cases/kubernetes-image-cache";
import { runPolicyCases } from "./lib/cases";

runPolicyCases([...imageCacheCases, ...imageOwnRegistryCases]);

describe("k8s-container-image-through-cache and cachedImage agree", () => {
    const host = ecrRegistryHost("123456789012", "us-east-1");
    it.each([
        "ghcr.io/mcp-platform/mcp-router:v2.4.1",
        "postgres:15.13-bookworm",
        "oliver006/redis_exporter:v1.62.0",
        "docker.io/library/redis:7.2.5",
        "quay.io/prometheus/blackbox-exporter:v0.28.0",
        `alpine/k8s:1.30.0@sha256:${"b".repeat(64)}`,
    ])("%s: upstream refused, cached accepted", (image) => {
        expect(isCachedImage(image, cachePrefixes)).toBe(false);
        expect(isCachedImage(cachedImage(image, host), cachePrefixes)).toBe(true);
    });

    it("has no exemption today: every image the program renders goes through the cache", () => {
        expect(imageCacheExemptions).toEqual([]);
    });
});
