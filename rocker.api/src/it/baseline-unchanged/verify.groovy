// A copy of this checkout's rocker.api passes: compared with the baseline (found, not skipped), nothing to
// bump; since the baseline the package may have gained (MINOR, 1.3.0: RockerClient.find, listWithoutStats).
def log = new File(basedir, 'build.log').text
assert log.contains('The baseline version was found to be ' + rockerBaselineVersion) : 'the baseline was not found'
assert log.contains('Baseline check succeeded') : 'the baseline did not run or did not pass'
def report = new File(basedir, 'target/baseline/rocker.api-0.1.0-SNAPSHOT.txt').text
assert report =~ /rocker\.api\s+PACKAGE\s+(UNCHANGED|MINOR)\s+1\.\d+\.0\s+1\.2\.0/ : 'rocker.api was not compared:\n' + report
return true
