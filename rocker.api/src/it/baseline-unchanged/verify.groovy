// The unchanged copy passes: compared with the baseline (found, not skipped), nothing to bump.
def log = new File(basedir, 'build.log').text
assert log.contains('The baseline version was found to be ' + rockerBaselineVersion) : 'the baseline was not found'
assert log.contains('Baseline check succeeded') : 'the baseline did not run or did not pass'
def report = new File(basedir, 'target/baseline/rocker.api-0.1.0-SNAPSHOT.txt').text
assert report =~ /rocker\.api\s+PACKAGE\s+UNCHANGED\s+1\.2\.0\s+1\.2\.0/ : 'rocker.api was not compared:\n' + report
return true
