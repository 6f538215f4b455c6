"""nbgrader configuration: instructors edit solutions/, students receive notebooks/."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.course_id = "ssl-lab"
# Students' notebooks are committed without outputs; the check cells run in the student's kernel.
c.ClearOutput.enabled = True
# Give a notebook time to train under the chosen profile before nbgrader gives up on a cell.
c.ExecutePreprocessor.timeout = 1800
c.Execute.timeout = 1800
