"""What a loaded AI Assist entry holds: the service's state, memory, recent turns, reminders, home."""

from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntry

from .confirm import Confirmations
from .coordinator import AIAssistCoordinator
from .home import Home
from .learning import Learner
from .memory import MemoryStore
from .recent import RecentConversations
from .reminders import ReminderStore
from .speaker import SpeakerResolver


@dataclass
class AIAssistRuntime:
    """The entry's runtime data."""

    coordinator: AIAssistCoordinator
    memory: MemoryStore
    recent: RecentConversations
    speakers: SpeakerResolver
    learner: Learner
    reminders: ReminderStore
    home: Home
    confirmations: Confirmations = field(default_factory=Confirmations)


type AIAssistConfigEntry = ConfigEntry[AIAssistRuntime]
