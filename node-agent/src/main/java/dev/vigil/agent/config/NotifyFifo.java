package dev.vigil.agent.config;

import java.util.Optional;

/** {@code notify_fifo PATH} (or {@code vrrp_notify_fifo}) with its optional {@code *_fifo_script} reader. */
public record NotifyFifo(String path, Optional<ScriptCommand> script) {}
