// Run by maven-invoker-plugin after examples/consumer's build (examples/pom.xml): the Pax Exam test ran and
// passed, and the Rocker bundles it provisioned from the test-local repository are this build's own jars.
import java.nio.file.*

def log = new File(basedir, 'build.log').text
def summaries = log.readLines().findAll { it =~ /Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+\s*$/ }
assert !summaries.isEmpty() : 'no test summary in build.log'
def summary = summaries.last()
assert summary =~ /Tests run: 2, Failures: 0, Errors: 0, Skipped: 0/ : 'ConsumerIT did not pass whole: ' + summary

def repo = Paths.get(localRepositoryPath.toString())
def root = Paths.get(rockerRoot)
def v = rockerVersion
def jars = ['rocker.api': 'rocker.api', 'rocker.impl.linux': 'rocker.impl.linux',
            'com.github.jnr.jffi': 'cnf/jffi', 'rocker.impl.linux.x86_64': 'rocker.impl.linux/fragments/x86_64']
jars.each { artifact, module ->
    def installed = repo.resolve("org/rocker/${artifact}/${v}/${artifact}-${v}.jar")
    def built = root.resolve("${module}/target/${artifact}-${v}.jar")
    assert Files.isRegularFile(installed) : "${installed} is missing"
    assert Files.mismatch(installed, built) == -1L : "${installed} is not this build's ${built}"
}
println "consumer: ${summary.trim()}; Rocker's jars are this build's"
return true
