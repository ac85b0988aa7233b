// The build failed for the baseline: package rocker.api lost a class (a major change) and kept its minor
// version (1.x.0 of this checkout) against the baseline's 1.2.0.
def log = new File(basedir, 'build.log').text
assert log.contains('The baseline version was found to be ' + rockerBaselineVersion) : 'the baseline was not found'
assert log.contains('Baseline problems detected') : 'the build did not fail for the baseline'
def report = new File(basedir, 'target/baseline/rocker.api-0.1.0-SNAPSHOT.txt').text
assert report =~ /\* rocker\.api\s+PACKAGE\s+MAJOR\s+1\.\d+\.0\s+1\.2\.0\s+2\.0\.0/ : 'no major mismatch of rocker.api in the report:\n' + report
assert report.contains('RockerStats') : 'the report does not name the removed class:\n' + report
return true
