package dev.vigil.coordinator;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * No SQL is built from input: a class that hands SQL text to JDBC may not build strings at run time
 * at all (no StringBuilder, String.format/concat/join, no javac string concatenation), so the only
 * SQL it can pass is a compile-time constant, with input going in as bind parameters.
 */
@Timeout(60)
class SqlIsConstantTest {
    /** javac's non-constant concatenation and the classic string builders, as they appear in a class file. */
    private static final List<String> RUNTIME_STRING_BUILDING = List.of("makeConcatWithConstants",
            "java/lang/StringBuilder", "java/lang/StringBuffer", "formatted", "java/util/StringJoiner");

    static final ArchCondition<JavaClass> BUILD_NO_STRINGS = new ArchCondition<>("build no strings at run time") {
        @Override
        public void check(JavaClass c, ConditionEvents events) {
            String constantPool = classFileText(c);
            for (String marker : RUNTIME_STRING_BUILDING) {
                if (constantPool.contains(marker)) {
                    events.add(SimpleConditionEvent.violated(c, c.getName() + " hands SQL to JDBC and builds strings ("
                            + marker + "): move the string building out or make the SQL a constant"));
                }
            }
            c.getMethodCallsFromSelf().stream()
                    .filter(call -> call.getTargetOwner().isEquivalentTo(String.class)
                            && List.of("format", "concat", "join", "replace", "valueOf").contains(call.getName()))
                    .forEach(call -> events.add(SimpleConditionEvent.violated(c, call.getDescription())));
        }
    };

    static final ArchRule SQL_IS_CONSTANT = classes()
            .that(com.tngtech.archunit.base.DescribedPredicate.describe("hand SQL text to JDBC", (JavaClass c) ->
                    c.getMethodCallsFromSelf().stream().anyMatch(call ->
                            (call.getTargetOwner().isAssignableTo(java.sql.Connection.class)
                                    && call.getName().startsWith("prepare"))
                                    || (call.getTargetOwner().isAssignableTo(java.sql.Statement.class)
                                    && call.getTarget().getRawParameterTypes().stream()
                                    .anyMatch(t -> t.isEquivalentTo(String.class))))))
            .should(BUILD_NO_STRINGS);

    private static String classFileText(JavaClass c) {
        String resource = "/" + c.getName().replace('.', '/') + ".class";
        try (InputStream in = SqlIsConstantTest.class.getResourceAsStream(resource)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theQueryApiAndItsReadModelsHandJdbcOnlyConstantSql() {
        JavaClasses mine = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.vigil.coordinator.api", "dev.vigil.coordinator.projection");
        SQL_IS_CONSTANT.check(mine);
    }

    @Test
    void theRuleCatchesConcatenatedSql() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.vigil.coordinator.archfixture");
        assertThat(fixture).isNotEmpty();
        assertThatThrownBy(() -> SQL_IS_CONSTANT.check(fixture)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("ConcatenatedSql").hasMessageContaining("makeConcatWithConstants");
    }
}
