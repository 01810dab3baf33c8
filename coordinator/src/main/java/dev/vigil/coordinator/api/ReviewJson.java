package dev.vigil.coordinator.api;

import dev.vigil.coordinator.projection.ReviewFact;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Optional;

/** Review facts as JSON: a "type" plus their fields; durations in milliseconds, absent values omitted. */
final class ReviewJson {
    private ReviewJson() {
    }

    static JsonObject of(ReviewFact f) {
        JsonObject o = new JsonObject().put("type", f.getClass().getSimpleName())
                .put("cluster", f.router().cluster()).put("vrid", f.router().vrid())
                .put("family", f.router().family().name()).put("at", f.at().toString());
        if (f instanceof ReviewFact.MasterChanged m) {
            m.fromAgent().ifPresent(a -> o.put("fromAgent", a));
            o.put("toAgent", m.toAgent()).put("cause", m.cause());
            millis(o, "noMasterGapMs", m.noMasterGap());
        } else if (f instanceof ReviewFact.VipMoved v) {
            o.put("fromAgent", v.fromAgent()).put("toAgent", v.toAgent()).put("addresses", new JsonArray(v.addresses()));
            millis(o, "gapMs", v.gap());
        } else if (f instanceof ReviewFact.NoMaster n) {
            n.until().ifPresent(u -> o.put("until", u.toString()));
            o.put("lastMaster", n.lastMaster());
        } else if (f instanceof ReviewFact.SplitBrain s) {
            s.until().ifPresent(u -> o.put("until", u.toString()));
            o.put("masters", new JsonArray(java.util.List.copyOf(s.masters()))).put("basis", s.basis().name());
        } else if (f instanceof ReviewFact.Flapping fl) {
            o.put("agentId", fl.agentId()).put("transitions", fl.transitions()).put("until", fl.until().toString());
        } else if (f instanceof ReviewFact.TrackerFailedOnMaster t) {
            o.put("agentId", t.agentId()).put("tracker", t.tracker()).put("detail", t.detail());
        }
        return o;
    }

    private static void millis(JsonObject o, String key, Optional<Duration> d) {
        d.ifPresent(x -> o.put(key, x.toNanos() / 1_000_000.0));
    }
}
