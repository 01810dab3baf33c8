package dev.vigil.agent.balance;

import dev.vigil.agent.config.ServiceAddress;

/** Where a new connection goes: a real server, the sorry server, or nowhere (and why). */
sealed interface Choice {

    record ToReal(int member, ServiceAddress address) implements Choice {}

    record ToSorry(ServiceAddress address, String why) implements Choice {}

    record Refuse(String why) implements Choice {}
}
