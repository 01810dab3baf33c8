package dev.vigil.agent.report;

import dev.vigil.agent.report.EndpointChoice.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class EndpointChoiceTest {
    @Test
    void startsOnTheFirstEndpoint() {
        assertThat(EndpointChoice.first(3).current()).isZero();
    }

    @Test
    void aDeadOrFailingEndpointHandsOverToTheNextRoundRobin() {
        EndpointChoice c = EndpointChoice.first(3);
        List<Integer> visited = new ArrayList<>();
        for (Outcome o : List.of(Outcome.UNREACHABLE, Outcome.SERVER_ERROR, Outcome.UNREACHABLE, Outcome.SERVER_ERROR)) {
            c = c.after(o);
            visited.add(c.current());
        }
        assertThat(visited).containsExactly(1, 2, 0, 1);
    }

    @Test
    void aLiveEndpointIsKeptWhateverItAnswers() {
        EndpointChoice c = new EndpointChoice(3, 2);
        for (Outcome o : List.of(Outcome.STORED, Outcome.NOTHING_STORED, Outcome.REFUSED)) {
            assertThat(c.after(o)).isEqualTo(c);
        }
    }

    @Test
    void oneEndpointIsRetriedItself() {
        assertThat(EndpointChoice.first(1).after(Outcome.UNREACHABLE).current()).isZero();
    }

    @Test
    void statusesAreClassified() {
        assertThat(Outcome.ofStatus(200)).isEqualTo(Outcome.STORED);
        assertThat(Outcome.ofStatus(500)).isEqualTo(Outcome.SERVER_ERROR);
        assertThat(Outcome.ofStatus(503)).isEqualTo(Outcome.SERVER_ERROR);
        assertThat(Outcome.ofStatus(502)).isEqualTo(Outcome.SERVER_ERROR);
        assertThat(Outcome.ofStatus(401)).isEqualTo(Outcome.REFUSED);
        assertThat(Outcome.ofStatus(400)).isEqualTo(Outcome.REFUSED);
        assertThat(Outcome.ofStatus(413)).isEqualTo(Outcome.REFUSED);
    }

    @Test
    void anEmptyListOrAnOutOfRangeIndexIsRefused() {
        assertThatThrownBy(() -> EndpointChoice.first(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EndpointChoice(2, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
