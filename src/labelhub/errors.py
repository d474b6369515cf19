"""The errors every layer raises; the CLI and the window turn them into messages."""


class LabelHubError(Exception):
    """Base of every error meant for the user: its text says what went wrong and where."""


class InvalidInput(LabelHubError):
    """Bad arguments or bad data, named in the message."""


class NotFound(LabelHubError):
    """A dataset, member, item or other named thing does not exist."""


class PermissionDenied(LabelHubError):
    """The acting member's role does not allow the action."""


class UnknownMember(LabelHubError):
    """The acting member is not a member of the project."""


class ProjectOpenError(LabelHubError):
    """The file is not a LabelHub project, is damaged, or is from a newer LabelHub."""


class Cancelled(LabelHubError):
    """Long work was cancelled by the user; nothing was written."""


class ProjectBusy(LabelHubError):
    """Another program kept the project locked for writing longer than we waited."""
