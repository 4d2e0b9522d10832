import type { PlatformConfig } from "../config";
import { cachedImage } from "../contracts/image-cache";

/**
 * The config with every container image mapped to the stack's pull-through cache
 * (`<registryHost>/<prefix>/<upstream path>:<tag>`, contracts/image-cache.ts). The stack files
 * keep the upstream names — what operators read, `mcp update check` compares and Renovate
 * updates — and the in-cluster layer renders the cached ones. Every image key of the config is
 * listed here; an image rendered from anywhere else is refused by the pack
 * (`k8s-container-image-through-cache`).
 */
export function throughImageCache(cfg: PlatformConfig, registryHost: string): PlatformConfig {
    const cached = (image: string) => cachedImage(image, registryHost);
    const { postgres, redis } = cfg.data;
    return {
        ...cfg,
        logging: { ...cfg.logging, collectorImage: cached(cfg.logging.collectorImage) },
        monitoring: {
            ...cfg.monitoring,
            blackboxExporter: {
                ...cfg.monitoring.blackboxExporter,
                image: cached(cfg.monitoring.blackboxExporter.image),
            },
        },
        data: {
            ...cfg.data,
            postgres: {
                ...postgres,
                image: cached(postgres.image),
                exporterImage: cached(postgres.exporterImage),
                archive: { ...postgres.archive, image: cached(postgres.archive.image) },
            },
            redis: {
                ...redis,
                image: cached(redis.image),
                exporterImage: cached(redis.exporterImage),
                proxyImage: cached(redis.proxyImage),
            },
        },
        backups: {
            ...cfg.backups,
            images: {
                awsCli: cached(cfg.backups.images.awsCli),
                kubectl: cached(cfg.backups.images.kubectl),
            },
        },
        workloads: {
            ...cfg.workloads,
            services: Object.fromEntries(
                Object.entries(cfg.workloads.services).map(([name, service]) => [
                    name,
                    {
                        ...service,
                        image: cached(service.image),
                        // Rendered by `mcp release`, not here; mapped alike for one rule.
                        smokeTest: service.smokeTest && {
                            ...service.smokeTest,
                            image: cached(service.smokeTest.image),
                        },
                    },
                ]),
            ),
        },
    };
}
