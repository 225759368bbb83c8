package dev.conv4j.nn;

import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A layer's plans, one per (input shape, training): least recently used first out, and a plan
 * that leaves the cache is closed at once. Not thread-safe: the owning layer serialises calls.
 */
final class PlanCache implements AutoCloseable {
    record Key(Shape shape, boolean training) {}

    private final int capacity;
    private final LinkedHashMap<Key, Plan> plans;
    private int prepared;
    private int evicted;

    PlanCache(int capacity) {
        this.capacity = capacity;
        this.plans = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<Key, Plan> eldest) {
                if (size() <= PlanCache.this.capacity) {
                    return false;
                }
                eldest.getValue().close();
                evicted++;
                return true;
            }
        };
    }

    /** The plan for {@code key}, prepared by {@code prepare} on first use. */
    Plan get(Key key, Supplier<Plan> prepare) {
        Plan p = plans.get(key);
        if (p == null) {
            p = prepare.get();
            prepared++;
            plans.put(key, p);
        }
        return p;
    }

    /** The cached plan for {@code key} (marking it most recently used), or {@code null}. */
    Plan lookup(Key key) {
        return plans.get(key);
    }

    int size() { return plans.size(); }
    /** Plans prepared so far (cache misses). */
    int prepared() { return prepared; }
    /** Plans closed because the cache was full. */
    int evicted() { return evicted; }

    /** Closes and forgets every plan. */
    @Override public void close() {
        RuntimeException first = null;
        for (Plan p : plans.values()) {
            try {
                p.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        plans.clear();
        if (first != null) {
            throw first;
        }
    }
}
